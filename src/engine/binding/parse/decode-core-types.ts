/**
 * Core WebAssembly types as they appear inside a component: in core type sections (function and
 * module types) and in `resource` and `context.get/set` immediates. Decoded completely (GC types
 * included) so that offsets stay right, even though the binder only needs function types.
 */
import type {
  CoreCompositeType,
  CoreExternType,
  CoreFieldType,
  CoreHeapType,
  CoreLimits,
  CoreRefType,
  CoreSubType,
  CoreTypeDefinition,
  CoreValType,
  ModuleDeclaration,
} from './ast.ts';
import { type ByteReader, hex } from './reader.ts';

const ABSTRACT_HEAP_TYPES: Record<number, string> = {
  112: 'func',
  111: 'extern',
  110: 'any',
  109: 'eq',
  108: 'i31',
  107: 'struct',
  106: 'array',
  113: 'none',
  114: 'noextern',
  115: 'nofunc',
  105: 'exn',
  116: 'noexn',
  104: 'cont',
  117: 'nocont',
};
const NUMERIC_TYPES: Record<number, CoreValType> = {
  127: 'i32',
  126: 'i64',
  125: 'f32',
  124: 'f64',
  123: 'v128',
};
const SHARED = 0x65;

function readHeapType(r: ByteReader): { heap: CoreHeapType; shared: boolean } {
  const start = r.offset;
  if (r.peek() === SHARED) {
    r.byte();
    const b = r.byte();
    const name = ABSTRACT_HEAP_TYPES[b];
    if (name === undefined) r.fail(`unknown shared heap type 0x${hex(b)}`, start);
    return { heap: name, shared: true };
  }
  const name = ABSTRACT_HEAP_TYPES[r.peek()];
  if (name !== undefined) {
    r.byte();
    return { heap: name, shared: false };
  }
  const index = r.s33();
  if (index < 0) r.fail(`unknown heap type 0x${hex(r.bytes[start] as number)}`, start);
  return { heap: index, shared: false };
}

function readRefTypeAfter(r: ByteReader, b: number): CoreRefType | undefined {
  if (b === 0x63 || b === 0x64) return { nullable: b === 0x63, ...readHeapType(r) };
  const name = ABSTRACT_HEAP_TYPES[b];
  if (name !== undefined) return { nullable: true, heap: name, shared: false };
  return undefined;
}

export function readCoreValType(r: ByteReader): CoreValType {
  const start = r.offset;
  const b = r.byte();
  const numeric = NUMERIC_TYPES[b];
  if (numeric !== undefined) return numeric;
  const ref = readRefTypeAfter(r, b);
  if (ref === undefined) return r.fail(`unknown core value type 0x${hex(b)}`, start);
  return ref;
}

function readRefType(r: ByteReader): CoreRefType {
  const start = r.offset;
  const b = r.byte();
  const ref = readRefTypeAfter(r, b);
  if (ref === undefined) return r.fail(`unknown core reference type 0x${hex(b)}`, start);
  return ref;
}

function readFieldType(r: ByteReader): CoreFieldType {
  const b = r.peek();
  let type: CoreFieldType['type'];
  if (b === 0x78 || b === 0x77) {
    r.byte();
    type = b === 0x78 ? 'i8' : 'i16';
  } else type = readCoreValType(r);
  return { type, mutable: r.flag('field mutability') };
}

function readCompositeType(r: ByteReader): { type: CoreCompositeType; shared: boolean } {
  const start = r.offset;
  let shared = false;
  if (r.peek() === SHARED) {
    r.byte();
    shared = true;
  }
  const b = r.byte();
  switch (b) {
    case 0x60:
      return {
        type: { kind: 'func', params: r.vec(readCoreValType), results: r.vec(readCoreValType) },
        shared,
      };
    case 0x5f:
      return { type: { kind: 'struct', fields: r.vec(readFieldType) }, shared };
    case 0x5e:
      return { type: { kind: 'array', field: readFieldType(r) }, shared };
    case 0x5d:
      return { type: { kind: 'cont', type: r.u32() }, shared };
    default:
      return r.fail(
        `unknown core type form 0x${hex(b)} (func 0x60, struct 0x5f or array 0x5e expected)`,
        start,
      );
  }
}

function readSubType(r: ByteReader): CoreSubType {
  const b = r.peek();
  if (b === 0x50 || b === 0x4f) {
    r.byte();
    const supertypes = r.vec((x) => x.u32());
    return { kind: 'sub', final: b === 0x4f, supertypes, ...readCompositeType(r) };
  }
  return { kind: 'sub', final: true, supertypes: [], ...readCompositeType(r) };
}

function readRecGroup(r: ByteReader): CoreSubType[] {
  if (r.peek() === 0x4e) {
    r.byte();
    return r.vec(readSubType);
  }
  return [readSubType(r)];
}

function readLimits(r: ByteReader): CoreLimits {
  const start = r.offset;
  const flags = r.byte();
  if (flags > 0x0f) r.fail(`invalid limits flags 0x${hex(flags)}`, start);
  const index64 = (flags & 0x04) !== 0;
  const read = () => (index64 ? r.u64() : r.u32());
  const initial = read();
  const maximum = flags & 0x01 ? read() : undefined;
  const pageSizeLog2 = flags & 0x08 ? r.u32() : undefined;
  return { initial, maximum, shared: (flags & 0x02) !== 0, index64, pageSizeLog2 };
}

export function readCoreExternType(r: ByteReader): CoreExternType {
  const start = r.offset;
  const kind = r.byte();
  switch (kind) {
    case 0x00:
      return { kind: 'func', type: r.u32() };
    case 0x01:
      return { kind: 'table', element: readRefType(r), limits: readLimits(r) };
    case 0x02:
      return { kind: 'memory', limits: readLimits(r) };
    case 0x03: {
      const type = readCoreValType(r);
      const flags = r.byte();
      if (flags > 0x03) r.fail(`invalid global mutability 0x${hex(flags)}`, r.offset - 1);
      return { kind: 'global', type, mutable: (flags & 1) !== 0, shared: (flags & 2) !== 0 };
    }
    case 0x04: {
      const attribute = r.byte();
      if (attribute !== 0x00) r.fail(`invalid tag attribute 0x${hex(attribute)}`, r.offset - 1);
      return { kind: 'tag', type: r.u32() };
    }
    default:
      return r.fail(`unknown core import/export kind 0x${hex(kind)}`, start);
  }
}

function readModuleDeclaration(r: ByteReader): ModuleDeclaration {
  const start = r.offset;
  const kind = r.byte();
  switch (kind) {
    case 0x00:
      return { kind: 'import', module: r.name(), name: r.name(), type: readCoreExternType(r) };
    case 0x01:
      return { kind: 'type', types: readRecGroup(r) };
    case 0x02: {
      const sort = r.byte();
      if (sort !== 0x10) r.fail(`module types may only alias core types (sort 0x10), not 0x${hex(sort)}`);
      const form = r.byte();
      if (form !== 0x01) r.fail(`module types may only use outer aliases (0x01), not 0x${hex(form)}`);
      return { kind: 'alias outer', count: r.u32(), index: r.u32() };
    }
    case 0x03:
      return { kind: 'export', name: r.name(), type: readCoreExternType(r) };
    default:
      return r.fail(`unknown module type declarator 0x${hex(kind)}`, start);
  }
}

/** One entry of a core type section (or a `core type` declarator). */
export function readCoreTypeDefinition(r: ByteReader): CoreTypeDefinition {
  const start = r.offset;
  const b = r.peek();
  if (b === 0x00) {
    // A non-final `sub` is prefixed with 0x00 here, because 0x50 alone means a module type.
    r.byte();
    if (r.peek() !== 0x50) r.fail(`0x00 must be followed by a non-final sub type (0x50)`, start);
    return { kind: 'rec', types: [readSubType(r)] };
  }
  if (b === 0x50) {
    r.byte();
    return { kind: 'module', declarations: r.vec(readModuleDeclaration) };
  }
  return { kind: 'rec', types: readRecGroup(r) };
}
