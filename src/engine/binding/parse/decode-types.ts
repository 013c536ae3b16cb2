/**
 * The component-level pieces shared by several sections: sorts, names, value types, type
 * definitions (with their instance and component type declarators), extern types and aliases.
 * Opcodes follow `design/mvp/Binary.md`; anything else is refused by name, never skipped.
 */
import type { PrimitiveType } from '../value-types.ts';
import type {
  Alias,
  AliasTarget,
  ComponentDeclaration,
  CoreSort,
  DefinedValueType,
  ExternName,
  ExternType,
  FuncTypeDefinition,
  InstanceDeclaration,
  Sort,
  SortIndex,
  TypeDefinition,
  ValTypeRef,
} from './ast.ts';
import { readCoreTypeDefinition, readCoreValType } from './decode-core-types.ts';
import { type ByteReader, hex } from './reader.ts';

const CORE_SORTS: Record<number, CoreSort> = {
  0: 'core func',
  1: 'core table',
  2: 'core memory',
  3: 'core global',
  4: 'core tag',
  16: 'core type',
  17: 'core module',
  18: 'core instance',
};
const COMPONENT_SORTS: Record<number, Sort> = {
  1: 'func',
  2: 'value',
  3: 'type',
  4: 'component',
  5: 'instance',
};

export function readCoreSort(r: ByteReader): CoreSort {
  const start = r.offset;
  const b = r.byte();
  return CORE_SORTS[b] ?? r.fail(`unknown core sort 0x${hex(b)}`, start);
}

export function readSort(r: ByteReader): Sort {
  const start = r.offset;
  const b = r.byte();
  if (b === 0x00) return readCoreSort(r);
  return COMPONENT_SORTS[b] ?? r.fail(`unknown sort 0x${hex(b)}`, start);
}

export function readSortIndex(r: ByteReader): SortIndex {
  return { sort: readSort(r), index: r.u32() };
}

/** `nameattributes`: 0x00 (and the older, equivalent 0x01) is a bare name; 0x02 adds attributes. */
export function readExternName(r: ByteReader): ExternName {
  const start = r.offset;
  const form = r.byte();
  if (form !== 0x00 && form !== 0x01 && form !== 0x02) {
    r.fail(`unknown import/export name form 0x${hex(form)} (0x00, 0x01 or 0x02 expected)`, start);
  }
  const name: ExternName = { name: r.name() };
  if (form === 0x02) {
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const at = r.offset;
      const kind = r.byte();
      const value = r.name();
      const key =
        kind === 0x00
          ? 'implements'
          : kind === 0x01
            ? 'versionSuffix'
            : kind === 0x02
              ? 'externalId'
              : undefined;
      if (key === undefined) r.fail(`unknown name attribute 0x${hex(kind)} on \`${name.name}\``, at);
      if (name[key] !== undefined) r.fail(`duplicate ${key} attribute on \`${name.name}\``, at);
      name[key] = value;
    }
  }
  return name;
}

const PRIMITIVES: Record<number, PrimitiveType> = {
  127: 'bool',
  126: 's8',
  125: 'u8',
  124: 's16',
  123: 'u16',
  122: 's32',
  121: 'u32',
  120: 's64',
  119: 'u64',
  118: 'f32',
  117: 'f64',
  116: 'char',
  115: 'string',
  100: 'error-context',
};

/** A `valtype`: a primitive opcode, or a type index as a non-negative s33. */
export function readValType(r: ByteReader): ValTypeRef {
  const primitive = PRIMITIVES[r.peek()];
  if (primitive !== undefined) {
    r.byte();
    return primitive;
  }
  const start = r.offset;
  const index = r.s33();
  if (index < 0) r.fail(`unknown value type 0x${hex(r.bytes[start] as number)}`, start);
  return index;
}

const optionalValType = (r: ByteReader): ValTypeRef | undefined => r.optional(readValType, 'a value type');

function readLabels(r: ByteReader, what: string): string[] {
  const start = r.offset;
  const names = r.vec((x) => x.name());
  if (names.length === 0) r.fail(`${what} with no cases`, start);
  return names;
}

function readDefinedValueType(r: ByteReader, b: number, start: number): DefinedValueType {
  const primitive = PRIMITIVES[b];
  if (primitive !== undefined) return { kind: 'primitive', name: primitive };
  switch (b) {
    case 0x72: {
      const fields = r.vec((x) => ({ name: x.name(), type: readValType(x) }));
      if (fields.length === 0) r.fail('a record with no fields', start);
      return { kind: 'record', fields };
    }
    case 0x71: {
      const cases = r.vec((x) => {
        const name = x.name();
        const type = optionalValType(x);
        const at = x.offset;
        if (x.byte() !== 0x00) {
          x.fail(
            `variant case \`${name}\` ends with 0x${hex(x.bytes[at] as number)}, not 0x00 (refinements were removed)`,
            at,
          );
        }
        return { name, type };
      });
      if (cases.length === 0) r.fail('a variant with no cases', start);
      return { kind: 'variant', cases };
    }
    case 0x70:
      return { kind: 'list', element: readValType(r) };
    case 0x67: {
      const element = readValType(r);
      const length = r.u32();
      if (length === 0) r.fail('a fixed-length list of length 0', start);
      return { kind: 'list', element, length };
    }
    case 0x6f: {
      const types = r.vec(readValType);
      if (types.length === 0) r.fail('a tuple with no types', start);
      return { kind: 'tuple', types };
    }
    case 0x6e:
      return { kind: 'flags', names: readLabels(r, 'flags') };
    case 0x6d:
      return { kind: 'enum', names: readLabels(r, 'an enum') };
    case 0x6b:
      return { kind: 'option', type: readValType(r) };
    case 0x6a:
      return { kind: 'result', ok: optionalValType(r), err: optionalValType(r) };
    case 0x69:
      return { kind: 'own', resource: r.u32() };
    case 0x68:
      return { kind: 'borrow', resource: r.u32() };
    case 0x66:
      return { kind: 'stream', type: optionalValType(r) };
    case 0x65:
      return { kind: 'future', type: optionalValType(r) };
    case 0x63:
      return { kind: 'map', key: readValType(r), value: readValType(r) };
    default:
      return r.fail(`unknown type constructor 0x${hex(b)}`, start);
  }
}

/** `resultlist`: 0x00 t, or 0x01 0x00 for none. (0x01 with named results was removed.) */
export function readResultList(r: ByteReader): ValTypeRef | undefined {
  const start = r.offset;
  const form = r.byte();
  if (form === 0x00) return readValType(r);
  if (form === 0x01) {
    const count = r.u32();
    if (count !== 0) r.fail(`a function with ${count} named results (named results were removed)`, start);
    return undefined;
  }
  return r.fail(`unknown result list form 0x${hex(form)}`, start);
}

function readFuncType(r: ByteReader, isAsync: boolean): FuncTypeDefinition {
  const params = r.vec((x) => ({ name: x.name(), type: readValType(x) }));
  return { kind: 'func', params, result: readResultList(r), async: isAsync };
}

export function readTypeDefinition(r: ByteReader): TypeDefinition {
  const start = r.offset;
  const b = r.byte();
  switch (b) {
    case 0x40:
    case 0x43:
      return readFuncType(r, b === 0x43);
    case 0x41:
      return { kind: 'component', declarations: r.vec(readComponentDeclaration) };
    case 0x42:
      return { kind: 'instance', declarations: r.vec(readInstanceDeclaration) };
    case 0x3f: {
      const rep = readCoreValType(r);
      if (rep !== 'i32' && rep !== 'i64')
        r.fail('a resource whose representation is neither i32 nor i64', start);
      return { kind: 'resource', rep, destructor: r.optional((x) => x.u32(), 'a resource destructor') };
    }
    default:
      return { kind: 'value', type: readDefinedValueType(r, b, start) };
  }
}

export function readExternType(r: ByteReader): ExternType {
  const start = r.offset;
  const kind = r.byte();
  switch (kind) {
    case 0x00: {
      const sort = r.byte();
      if (sort !== 0x11)
        r.fail(`only core modules can be imported or exported among core sorts, not 0x${hex(sort)}`, start);
      return { kind: 'module', type: r.u32() };
    }
    case 0x01:
      return { kind: 'func', type: r.u32() };
    case 0x02: {
      const form = r.byte();
      if (form === 0x00) return { kind: 'value', bound: { kind: 'eq', value: r.u32() } };
      if (form === 0x01) return { kind: 'value', bound: { kind: 'type', type: readValType(r) } };
      return r.fail(`unknown value bound 0x${hex(form)}`, r.offset - 1);
    }
    case 0x03: {
      const form = r.byte();
      if (form === 0x00) return { kind: 'type', bound: { kind: 'eq', type: r.u32() } };
      if (form === 0x01) return { kind: 'type', bound: { kind: 'sub-resource' } };
      return r.fail(`unknown type bound 0x${hex(form)}`, r.offset - 1);
    }
    case 0x04:
      return { kind: 'component', type: r.u32() };
    case 0x05:
      return { kind: 'instance', type: r.u32() };
    default:
      return r.fail(`unknown extern kind 0x${hex(kind)}`, start);
  }
}

export function readAlias(r: ByteReader): Alias {
  const sort = readSort(r);
  const start = r.offset;
  const form = r.byte();
  let target: AliasTarget;
  if (form === 0x00) target = { kind: 'export', instance: r.u32(), name: r.name() };
  else if (form === 0x01) target = { kind: 'core export', instance: r.u32(), name: r.name() };
  else if (form === 0x02) target = { kind: 'outer', count: r.u32(), index: r.u32() };
  else return r.fail(`unknown alias form 0x${hex(form)}`, start);
  if (target.kind === 'core export' && !sort.startsWith('core ')) {
    r.fail(`a core export alias must have a core sort, not \`${sort}\``, start);
  }
  if (target.kind === 'export' && sort.startsWith('core ') && sort !== 'core module') {
    r.fail(`a component instance cannot export a \`${sort}\``, start);
  }
  if (target.kind === 'outer' && !['core module', 'core type', 'type', 'component'].includes(sort)) {
    r.fail(
      `an outer alias cannot refer to a \`${sort}\` (only types, core types, components and core modules)`,
      start,
    );
  }
  return { sort, target };
}

function readInstanceDeclaration(r: ByteReader): InstanceDeclaration {
  const offset = r.offset;
  const kind = r.byte();
  switch (kind) {
    case 0x00:
      return { kind: 'core type', type: readCoreTypeDefinition(r), offset };
    case 0x01:
      return { kind: 'type', type: readTypeDefinition(r), offset };
    case 0x02:
      return { kind: 'alias', alias: readAlias(r), offset };
    case 0x04:
      return { kind: 'export', name: readExternName(r), type: readExternType(r), offset };
    default:
      return r.fail(`unknown instance type declarator 0x${hex(kind)}`, offset);
  }
}

function readComponentDeclaration(r: ByteReader): ComponentDeclaration {
  if (r.peek() === 0x03) {
    const offset = r.offset;
    r.byte();
    return { kind: 'import', name: readExternName(r), type: readExternType(r), offset };
  }
  return readInstanceDeclaration(r);
}
