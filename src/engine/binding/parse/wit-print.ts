/**
 * Prints resolved types in WIT syntax, structurally: a record or variant is spelled out rather
 * than named (the binary keeps no names for them), and a handle names its resource in full
 * (`own<wasi:io/streams@0.2.10#input-stream>`). For error messages, `skiff inspect`, and the
 * tests that compare the resolver with wasm-tools' own reading of the same component.
 */
import type { FunctionType, ValueType } from '../value-types.ts';

const id = (name: string) => (WIT_KEYWORDS.has(name) ? `%${name}` : name);

export function printValueType(type: ValueType): string {
  switch (type.kind) {
    case 'primitive':
      return type.name;
    case 'list':
      return type.length === undefined
        ? `list<${printValueType(type.element)}>`
        : `list<${printValueType(type.element)}, ${type.length}>`;
    case 'record':
      return `record { ${type.fields.map((f) => `${id(f.name)}: ${printValueType(f.type)}`).join(', ')} }`;
    case 'tuple':
      return `tuple<${type.types.map(printValueType).join(', ')}>`;
    case 'variant':
      return `variant { ${type.cases
        .map((c) => (c.type ? `${id(c.name)}(${printValueType(c.type)})` : id(c.name)))
        .join(', ')} }`;
    case 'enum':
      return `enum { ${type.names.map(id).join(', ')} }`;
    case 'flags':
      return `flags { ${type.names.map(id).join(', ')} }`;
    case 'option':
      return `option<${printValueType(type.type)}>`;
    case 'result':
      if (!type.ok && !type.err) return 'result';
      if (!type.err) return `result<${printValueType(type.ok as ValueType)}>`;
      return `result<${type.ok ? printValueType(type.ok) : '_'}, ${printValueType(type.err)}>`;
    case 'own':
    case 'borrow':
      return `${type.kind}<${type.resource.name}>`;
    case 'future':
    case 'stream':
      return type.type ? `${type.kind}<${printValueType(type.type)}>` : type.kind;
  }
}

/** `async func(a: u32, b: string) -> result<u64>`. */
export function printFunctionType(type: FunctionType): string {
  const params = type.params.map((p) => `${id(p.name)}: ${printValueType(p.type)}`).join(', ');
  const result = type.result ? ` -> ${printValueType(type.result)}` : '';
  return `${type.async ? 'async ' : ''}func(${params})${result}`;
}

/** Names that WIT writes with a leading `%` when used as identifiers. */
export const WIT_KEYWORDS = new Set([
  'as',
  'async',
  'bool',
  'borrow',
  'char',
  'constructor',
  'enum',
  'error-context',
  'export',
  'f32',
  'f64',
  'flags',
  'from',
  'func',
  'future',
  'import',
  'include',
  'interface',
  'list',
  'option',
  'own',
  'package',
  'record',
  'resource',
  'result',
  's16',
  's32',
  's64',
  's8',
  'static',
  'stream',
  'string',
  'tuple',
  'type',
  'u16',
  'u32',
  'u64',
  'u8',
  'use',
  'variant',
  'with',
  'world',
]);
