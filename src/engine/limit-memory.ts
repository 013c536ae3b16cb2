/**
 * Caps every memory a core module defines at `maxPages` by rewriting its declared maximum, so
 * `memory.grow` past the limit fails inside the guest (its allocator sees an ordinary
 * out-of-memory) instead of the host growing without bound. Only the memory section changes.
 */
import { encodeLeb, Reader, sections } from './wasm-binary.ts';

const MEMORY_SECTION = 5;
export const WASM_PAGE = 64 * 1024;

export class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
}

export function limitMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  const section = sections(bytes).find((s) => s.id === MEMORY_SECTION);
  if (!section) return bytes;
  const r = new Reader(bytes, section.payloadStart);
  const count = r.leb();
  const payload: number[] = [...encodeLeb(count)];
  for (let i = 0; i < count; i++) {
    const flags = r.byte();
    const initial = r.leb();
    const declaredMax = flags & 1 ? r.leb() : undefined;
    if (initial > maxPages) {
      throw new MemoryLimitError(
        `it needs ${(initial * WASM_PAGE) / 2 ** 20} MiB of memory to start, more than the limit of ${(maxPages * WASM_PAGE) / 2 ** 20} MiB`,
      );
    }
    const max = declaredMax === undefined ? maxPages : Math.min(declaredMax, maxPages);
    payload.push(flags | 1, ...encodeLeb(initial), ...encodeLeb(max));
  }
  const replacement = Uint8Array.from([MEMORY_SECTION, ...encodeLeb(payload.length), ...payload]);
  const out = new Uint8Array(bytes.length - (section.end - section.start) + replacement.length);
  out.set(bytes.subarray(0, section.start), 0);
  out.set(replacement, section.start);
  out.set(bytes.subarray(section.end), section.start + replacement.length);
  return out;
}
