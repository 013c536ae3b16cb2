/**
 * Lists across the boundary. A list of a number type is a typed array on the JS side, as in jco
 * (`list<u8>` → `Uint8Array`, `list<s64>` → `BigInt64Array`, … `list<f64>` → `Float64Array`),
 * copied out of guest memory when lifted; lowering accepts the typed array (or any ArrayBuffer
 * view, taken as raw bytes) or a plain array of numbers. Other lists are plain arrays whose
 * elements the generated code lifts and lowers one by one, after `checkListRange`.
 */
import { allocate } from './allocate.ts';
import type { LiftLowerContext } from './context.ts';
import type { GuestMemory } from './guest-memory.ts';
import { MAX_LIST_BYTE_LENGTH } from './layout.ts';
import { trap } from './trap.ts';

export type NumericElement = 'u8' | 's8' | 'u16' | 's16' | 'u32' | 's32' | 'u64' | 's64' | 'f32' | 'f64';

type TypedArrayConstructor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | BigUint64ArrayConstructor
  | BigInt64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

interface NumericKind {
  size: number;
  array: TypedArrayConstructor;
  store: (dv: DataView, at: number, value: unknown) => void;
}

const toBigInt = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/** Indexed by a small number the generated code bakes in. */
export const NUMERIC_KINDS: readonly NumericKind[] = [
  { size: 1, array: Uint8Array, store: (dv, at, v) => dv.setUint8(at, v as number) },
  { size: 1, array: Int8Array, store: (dv, at, v) => dv.setInt8(at, v as number) },
  { size: 2, array: Uint16Array, store: (dv, at, v) => dv.setUint16(at, v as number, true) },
  { size: 2, array: Int16Array, store: (dv, at, v) => dv.setInt16(at, v as number, true) },
  { size: 4, array: Uint32Array, store: (dv, at, v) => dv.setUint32(at, v as number, true) },
  { size: 4, array: Int32Array, store: (dv, at, v) => dv.setInt32(at, v as number, true) },
  { size: 8, array: BigUint64Array, store: (dv, at, v) => dv.setBigUint64(at, toBigInt(v), true) },
  { size: 8, array: BigInt64Array, store: (dv, at, v) => dv.setBigInt64(at, toBigInt(v), true) },
  { size: 4, array: Float32Array, store: (dv, at, v) => dv.setFloat32(at, v as number, true) },
  { size: 8, array: Float64Array, store: (dv, at, v) => dv.setFloat64(at, v as number, true) },
];
const ELEMENTS: readonly NumericElement[] = [
  'u8',
  's8',
  'u16',
  's16',
  'u32',
  's32',
  'u64',
  's64',
  'f32',
  'f64',
];

export function numericKindIndex(element: NumericElement): number {
  return ELEMENTS.indexOf(element);
}

/** `load_list_from_range`'s checks: total size, alignment of the elements, bounds. */
export function checkListRange(
  m: GuestMemory,
  ptr: number,
  length: number,
  size: number,
  align: number,
): void {
  const bytes = length * size;
  if (bytes > MAX_LIST_BYTE_LENGTH) trap('list-too-long', `${length} elements of ${size} bytes at ${ptr}`);
  if ((ptr & (align - 1)) !== 0) trap('misaligned', `a list at ${ptr} needs alignment ${align}`);
  if (ptr + bytes > m.u8.length) m.require(ptr + bytes, `a list at ${ptr} of ${bytes} bytes`);
}

export function liftNumericList(m: GuestMemory, ptr: number, length: number, kind: number): unknown {
  const k = NUMERIC_KINDS[kind] as NumericKind;
  checkListRange(m, ptr, length, k.size, k.size);
  if (kind === 0) return m.u8.slice(ptr, ptr + length);
  return new k.array((m.u8.buffer as ArrayBuffer).slice(ptr, ptr + length * k.size));
}

/** Elements in a host value for a numeric list: an array's length, a view's bytes over the size. */
export function numericListLength(value: unknown, kind: number): number {
  const size = (NUMERIC_KINDS[kind] as NumericKind).size;
  if (Array.isArray(value)) return value.length;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    const n = value.byteLength / size;
    if (!Number.isInteger(n))
      throw new TypeError(`a list of ${size}-byte numbers cannot hold ${value.byteLength} bytes`);
    return n;
  }
  throw new TypeError(`expected an array or a typed array for a list, got ${typeof value}`);
}

/** Allocates and fills a numeric list; the element count is left in `memory.lastLength`. */
export function lowerNumericList(cx: LiftLowerContext, value: unknown, kind: number): number {
  const k = NUMERIC_KINDS[kind] as NumericKind;
  const length = numericListLength(value, kind);
  const bytes = length * k.size;
  if (bytes > 0xffff_ffff) throw new RangeError(`a list of ${bytes} bytes does not fit a 32-bit memory`);
  const ptr = allocate(cx, k.size, bytes);
  const m = cx.memory as GuestMemory;
  if (Array.isArray(value)) {
    const dv = m.dv;
    for (let i = 0; i < length; i++) k.store(dv, ptr + i * k.size, value[i]);
  } else if (value instanceof Uint8Array) {
    const u8 = m.u8;
    // TypedArray#set costs more than a short copy loop.
    if (length <= 32) for (let i = 0; i < length; i++) u8[ptr + i] = value[i] as number;
    else u8.set(value, ptr);
  } else {
    const v = value as ArrayBufferView | ArrayBuffer;
    const bytesView = ArrayBuffer.isView(v)
      ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
      : new Uint8Array(v as ArrayBuffer);
    m.u8.set(bytesView, ptr);
  }
  m.lastLength = length;
  return ptr;
}

/** Length of a host value for a list of other elements (a plain array, or anything array-like). */
export function listLength(value: unknown, size: number): number {
  const n = (value as { length?: unknown } | null | undefined)?.length;
  if (typeof n !== 'number') throw new TypeError(`expected an array for a list, got ${typeof value}`);
  if (n * size > 0xffff_ffff)
    throw new RangeError(`a list of ${n * size} bytes does not fit a 32-bit memory`);
  return n;
}
