/**
 * Calls into the guest's `realloc` (`LiftLowerContext.reallocate`): with `may_leave` cleared, so
 * `realloc` cannot call imports; the returned pointer is checked for alignment and bounds, and the
 * memory views are re-read because `realloc` may have grown the memory.
 */
import type { LiftLowerContext } from './context.ts';
import type { GuestMemory } from './guest-memory.ts';
import { trap } from './trap.ts';

export function reallocate(
  cx: LiftLowerContext,
  oldPtr: number,
  oldSize: number,
  align: number,
  newSize: number,
): number {
  const realloc = cx.realloc;
  if (realloc === undefined)
    throw new TypeError('this function needs the guest’s realloc, and none was given');
  const instance = cx.instance;
  instance.mayLeave = false;
  const ptr = realloc(oldPtr, oldSize, align, newSize) >>> 0;
  instance.mayLeave = true;
  const m = cx.memory as GuestMemory;
  m.sync();
  if ((ptr & (align - 1)) !== 0) trap('misaligned', `realloc returned ${ptr} for alignment ${align}`);
  if (ptr + newSize > m.u8.length) m.require(ptr + newSize, `realloc’s block at ${ptr} of ${newSize} bytes`);
  return ptr;
}

/** `cx.allocate(align, size)`. */
export function allocate(cx: LiftLowerContext, align: number, size: number): number {
  return reallocate(cx, 0, 0, align, size);
}

/** Checks a pointer received from the guest for a value of `size` bytes aligned to `align`. */
export function checkPointer(m: GuestMemory, ptr: number, size: number, align: number, what: string): void {
  if ((ptr & (align - 1)) !== 0) trap('misaligned', `${what} at ${ptr} needs alignment ${align}`);
  if (ptr + size > m.u8.length) m.require(ptr + size, what);
}
