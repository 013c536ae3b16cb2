/**
 * The wasm state of one component instance — every memory, mutable global and table of its core
 * instances — captured right after instantiation, so the instance can later be put back into
 * exactly that state instead of being instantiated again (wasmtime's pooling allocator resets
 * memory for the same reason: resetting is far cheaper than re-creating).
 */

interface MemoryImage {
  memory: WebAssembly.Memory;
  bytes: Uint8Array;
}
interface GlobalValue {
  global: WebAssembly.Global;
  value: unknown;
}
interface TableImage {
  table: WebAssembly.Table;
  entries: unknown[];
}

/** Memory contents after instantiation, kept per component and shared by its instances. */
export interface MemoryImages {
  readonly bytes: Uint8Array[];
  /** No core module runs code at instantiation: every instance's memories equal the images. */
  readonly trusted: boolean;
}

function sameImage(image: Uint8Array, live: Uint8Array, trusted: boolean): boolean {
  if (image.length !== live.length) return false;
  return trusted || Buffer.from(image.buffer, image.byteOffset, image.length).equals(live);
}

export class InstanceState {
  readonly #memories: MemoryImage[] = [];
  readonly #globals: GlobalValue[] = [];
  readonly #tables: TableImage[] = [];
  /** False when some state cannot be read from JS (e.g. a v128 global): such instances are not reset. */
  readonly resettable: boolean;

  /**
   * Captures the state reachable from the given core instances (deduplicated: memories are shared).
   * `images` holds the memories' contents right after instantiation as an earlier instance of the
   * same component saw them; an image equal to this instance's memory is shared instead of copied
   * (a memcmp is cheaper than a copy, allocates nothing and leaves no new pages to fault in).
   * Without a core start function every instance starts from the data segments alone, so the
   * images are `trusted` without comparing.
   */
  constructor(instances: WebAssembly.Instance[], images?: MemoryImages) {
    const seen = new Set<object>();
    let resettable = true;
    for (const instance of instances) {
      for (const value of Object.values(instance.exports)) {
        if (typeof value !== 'object' || value === null || seen.has(value)) continue;
        seen.add(value);
        try {
          if (value instanceof WebAssembly.Memory) {
            const k = this.#memories.length;
            const live = new Uint8Array(value.buffer);
            let image = images?.bytes[k];
            if (image === undefined || !sameImage(image, live, images?.trusted === true)) {
              image = live.slice();
              if (images) images.bytes[k] = image;
            }
            this.#memories.push({ memory: value, bytes: image });
          } else if (value instanceof WebAssembly.Global) {
            // Writing an immutable global throws; writing back its own value tells them apart.
            const current = value.value;
            value.value = current;
            this.#globals.push({ global: value, value: current });
          } else if (value instanceof WebAssembly.Table) {
            const entries = Array.from({ length: value.length }, (_, i) => value.get(i));
            this.#tables.push({ table: value, entries });
          }
        } catch (e) {
          if (!(value instanceof WebAssembly.Global) || !isImmutableGlobalError(e)) resettable = false;
        }
      }
    }
    this.resettable = resettable;
  }

  /**
   * Puts every memory, global and table back. Returns false — and changes nothing — when a memory
   * or table has grown: wasm cannot shrink them, and the guest can see their size.
   */
  restore(): boolean {
    if (!this.resettable) return false;
    for (const { memory, bytes } of this.#memories)
      if (memory.buffer.byteLength !== bytes.length) return false;
    for (const { table, entries } of this.#tables) if (table.length !== entries.length) return false;
    for (const { memory, bytes } of this.#memories) new Uint8Array(memory.buffer).set(bytes);
    for (const { global, value } of this.#globals) global.value = value;
    for (const { table, entries } of this.#tables) {
      entries.forEach((entry, i) => {
        if (table.get(i) !== entry) table.set(i, entry);
      });
    }
    return true;
  }
}

function isImmutableGlobalError(e: unknown): boolean {
  return e instanceof TypeError && /immutable|read-only|Can't set the value/i.test(e.message);
}
