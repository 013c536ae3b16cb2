/**
 * Where values live in linear memory: alignment, size and field offsets of every value type, as
 * `CanonicalABI.md` (§ Alignment, § Element Size) defines them for 32-bit memories. Specialized
 * types are laid out as their expansion (tuple → record, enum/option/result → variant); `string`
 * and `flags` have their own representation. Types the spec forbids (empty records, tuples,
 * variants and enums, flags with 0 or more than 32 names, fixed-length lists of length 0) are
 * refused here with an `InvalidValueTypeError`: the component parser should already have done so.
 */
import type { ValueType } from '../value-types.ts';

/** Only 32-bit memories are supported (memory64 components are refused by the parser). */
export const POINTER_SIZE = 4;
/** Longest string, in bytes, a guest may hand over (`MAX_STRING_BYTE_LENGTH`). */
export const MAX_STRING_BYTE_LENGTH = 2 ** 28 - 1;
/** Longest list, in bytes, a guest may hand over (`MAX_LIST_BYTE_LENGTH`). */
export const MAX_LIST_BYTE_LENGTH = 2 ** 28 - 1;
/** High bit of a `latin1+utf16` string's length: set when the string is UTF-16 (`utf16_tag`). */
export const UTF16_TAG = 2 ** 31;
/** Flags are a bit-vector in one integer (the spec lowered the limit from unbounded to 32). */
export const MAX_FLAGS = 32;

export class InvalidValueTypeError extends Error {
  override name = 'InvalidValueTypeError';
}

export type DiscriminantType = 'u8' | 'u16' | 'u32';

/** A value type after `despecialize`: what layout, flattening and code generation switch on. */
export type Shape =
  | { kind: 'scalar'; size: 1 | 2 | 4 | 8; align: 1 | 2 | 4 | 8 }
  | { kind: 'string' }
  | { kind: 'list'; element: ValueType; length: number | undefined }
  | { kind: 'record'; types: ValueType[] }
  | { kind: 'variant'; cases: Array<ValueType | undefined> }
  | { kind: 'flags'; count: number };

export function shapeOf(t: ValueType): Shape {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'bool':
        case 's8':
        case 'u8':
          return { kind: 'scalar', size: 1, align: 1 };
        case 's16':
        case 'u16':
          return { kind: 'scalar', size: 2, align: 2 };
        case 's32':
        case 'u32':
        case 'f32':
        case 'char':
        case 'error-context':
          return { kind: 'scalar', size: 4, align: 4 };
        case 's64':
        case 'u64':
        case 'f64':
          return { kind: 'scalar', size: 8, align: 8 };
        case 'string':
          return { kind: 'string' };
      }
      break;
    case 'list':
      if (t.length !== undefined && !(Number.isInteger(t.length) && t.length > 0))
        throw new InvalidValueTypeError(`a fixed-length list needs a length > 0, not ${t.length}`);
      return { kind: 'list', element: t.element, length: t.length };
    case 'record':
      if (t.fields.length === 0) throw new InvalidValueTypeError('a record needs at least one field');
      return { kind: 'record', types: t.fields.map((f) => f.type) };
    case 'tuple':
      if (t.types.length === 0) throw new InvalidValueTypeError('a tuple needs at least one type');
      return { kind: 'record', types: t.types };
    case 'variant':
      if (t.cases.length === 0) throw new InvalidValueTypeError('a variant needs at least one case');
      return { kind: 'variant', cases: t.cases.map((c) => c.type) };
    case 'enum':
      if (t.names.length === 0) throw new InvalidValueTypeError('an enum needs at least one case');
      return { kind: 'variant', cases: t.names.map(() => undefined) };
    case 'option':
      return { kind: 'variant', cases: [undefined, t.type] };
    case 'result':
      return { kind: 'variant', cases: [t.ok, t.err] };
    case 'flags':
      if (t.names.length === 0 || t.names.length > MAX_FLAGS)
        throw new InvalidValueTypeError(`flags need 1 to ${MAX_FLAGS} names, not ${t.names.length}`);
      return { kind: 'flags', count: t.names.length };
    case 'own':
    case 'borrow':
    case 'future':
    case 'stream':
      return { kind: 'scalar', size: 4, align: 4 };
  }
  throw new InvalidValueTypeError(`unknown value type ${JSON.stringify(t)}`);
}

export function alignTo(ptr: number, alignment: number): number {
  return Math.ceil(ptr / alignment) * alignment;
}

export function alignment(t: ValueType): number {
  const s = shapeOf(t);
  switch (s.kind) {
    case 'scalar':
      return s.align;
    case 'string':
      return POINTER_SIZE;
    case 'list':
      return s.length === undefined ? POINTER_SIZE : alignment(s.element);
    case 'record':
      return recordAlignment(s.types);
    case 'variant':
      return variantAlignment(s.cases);
    case 'flags':
      return flagsSize(s.count);
  }
}

/** `elem_size`: the bytes a value takes as a list element (or record field). */
export function elemSize(t: ValueType): number {
  const s = shapeOf(t);
  switch (s.kind) {
    case 'scalar':
      return s.size;
    case 'string':
      return 2 * POINTER_SIZE;
    case 'list':
      return s.length === undefined ? 2 * POINTER_SIZE : s.length * elemSize(s.element);
    case 'record':
      return recordLayout(s.types).size;
    case 'variant':
      return variantLayout(s.cases).size;
    case 'flags':
      return flagsSize(s.count);
  }
}

function recordAlignment(types: ValueType[]): number {
  let a = 1;
  for (const t of types) a = Math.max(a, alignment(t));
  return a;
}

/** Field offsets, size and alignment of a record or tuple (`elem_size_record`, `load_record`). */
export function recordLayout(types: ValueType[]): { offsets: number[]; size: number; align: number } {
  const offsets: number[] = [];
  let s = 0;
  for (const t of types) {
    s = alignTo(s, alignment(t));
    offsets.push(s);
    s += elemSize(t);
  }
  const align = recordAlignment(types);
  return { offsets, size: alignTo(s, align), align };
}

/** The smallest unsigned integer that numbers `caseCount` cases (`discriminant_type`). */
export function discriminantType(caseCount: number): DiscriminantType {
  if (!(caseCount > 0 && caseCount < 2 ** 32))
    throw new InvalidValueTypeError(`a variant needs 1 to 2^32-1 cases, not ${caseCount}`);
  if (caseCount <= 2 ** 8) return 'u8';
  if (caseCount <= 2 ** 16) return 'u16';
  return 'u32';
}

export function discriminantSize(caseCount: number): 1 | 2 | 4 {
  const d = discriminantType(caseCount);
  return d === 'u8' ? 1 : d === 'u16' ? 2 : 4;
}

function maxCaseAlignment(cases: Array<ValueType | undefined>): number {
  let a = 1;
  for (const c of cases) if (c !== undefined) a = Math.max(a, alignment(c));
  return a;
}

function variantAlignment(cases: Array<ValueType | undefined>): number {
  return Math.max(discriminantSize(cases.length), maxCaseAlignment(cases));
}

/** Where a variant's payload starts, its size and alignment (`elem_size_variant`, `load_variant`). */
export function variantLayout(cases: Array<ValueType | undefined>): {
  discriminant: DiscriminantType;
  payloadOffset: number;
  size: number;
  align: number;
} {
  const discriminant = discriminantType(cases.length);
  const payloadOffset = alignTo(discriminantSize(cases.length), maxCaseAlignment(cases));
  let payloadSize = 0;
  for (const c of cases) if (c !== undefined) payloadSize = Math.max(payloadSize, elemSize(c));
  const align = variantAlignment(cases);
  return { discriminant, payloadOffset, size: alignTo(payloadOffset + payloadSize, align), align };
}

/** Bytes of a flags bit-vector: 1, 2 or 4 (`elem_size_flags`). */
export function flagsSize(count: number): 1 | 2 | 4 {
  if (count <= 0 || count > MAX_FLAGS)
    throw new InvalidValueTypeError(`flags need 1 to ${MAX_FLAGS} names, not ${count}`);
  if (count <= 8) return 1;
  if (count <= 16) return 2;
  return 4;
}

/** The parameters of a function laid out as one tuple, as when they are spilled to memory. */
export function tupleLayout(types: ValueType[]): { offsets: number[]; size: number; align: number } {
  if (types.length === 0) return { offsets: [], size: 0, align: 1 };
  return recordLayout(types);
}
