/**
 * A guest's linear memory as the canonical ABI reads and writes it. Views over `memory.buffer`
 * are kept and reused across calls; they go stale when the guest grows its memory (`memory.grow`
 * detaches the old buffer, whose views then have length 0). Every access is preceded by a bounds
 * check against `u8.length`, and a failing check first re-reads the buffer, so a stale view costs
 * one refresh and never a wrong read. After each `realloc` call the views are synced eagerly.
 */
import { trap } from './trap.ts';

const EMPTY = new ArrayBuffer(0);

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed arrays are used for UTF-16 and numeric lists; wasm memory is little-endian.
  throw new Error('Skiff’s canonical ABI needs a little-endian host');
}

export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;
  u8: Uint8Array = new Uint8Array(EMPTY);
  u16: Uint16Array = new Uint16Array(EMPTY);
  dv: DataView = new DataView(EMPTY);
  /**
   * Out-parameter of the string and list helpers, which return a pointer and leave the length
   * here, so lowering a string allocates no pair.
   */
  lastLength = 0;

  constructor(memory?: WebAssembly.Memory) {
    if (memory) this.attach(memory);
  }

  /** Binds the memory once the core instance exporting it exists. */
  attach(memory: WebAssembly.Memory): void {
    if (!(memory.buffer instanceof ArrayBuffer)) throw new TypeError('shared memories are not supported');
    this.#memory = memory;
    this.refresh();
  }

  get memory(): WebAssembly.Memory | undefined {
    return this.#memory;
  }

  refresh(): void {
    if (this.#memory === undefined) throw new Error('the guest memory was used before it was attached');
    const buffer = this.#memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    this.dv = new DataView(buffer);
  }

  /** Re-reads the buffer if a `memory.grow` detached it. */
  sync(): void {
    if (this.u8.length === 0) this.refresh();
  }

  /** The slow path of a bounds check: `end` is past the views; refresh, then trap if still past. */
  require(end: number, what: string): void {
    this.refresh();
    if (end > this.u8.length)
      trap('out-of-bounds', `${what} ends at byte ${end}, memory has ${this.u8.length} bytes`);
  }
}
