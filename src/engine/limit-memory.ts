/**
 * Caps the memories of an instance. Every memory a module defines is created by the host (see
 * interrupt/instrument.ts), so the cap is simply the maximum it is created with: `memory.grow`
 * past it fails inside the guest, whose allocator sees an ordinary out-of-memory, and the host
 * never grows without bound.
 */
import type { HostMemory } from './interrupt/instrument.ts';

export const WASM_PAGE = 64 * 1024;

export class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
}

const mib = (pages: number) => (pages * WASM_PAGE) / 2 ** 20;

/** The descriptor with its maximum lowered to `maxPages`; throws if the memory starts larger. */
export function limitMemory(memory: HostMemory, maxPages: number | undefined): HostMemory {
  if (maxPages === undefined) return memory;
  const { initial, maximum } = memory.descriptor;
  if (initial > maxPages) {
    throw new MemoryLimitError(
      `it needs ${mib(initial)} MiB of memory to start, more than the limit of ${mib(maxPages)} MiB`,
    );
  }
  const capped = maximum === undefined ? maxPages : Math.min(maximum, maxPages);
  return { ...memory, descriptor: { ...memory.descriptor, maximum: capped } };
}
