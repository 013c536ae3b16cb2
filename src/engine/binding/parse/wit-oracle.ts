/**
 * For tests: the world of a component as wasm-tools reads it, to check the resolver against an
 * independent implementation. `componentWit` (wasm-tools through jco-transpile) prints only the
 * component's own package, naming imported interfaces without their definitions; so the
 * top-level import and export names are first rewritten into that package (`root:component/imp3`,
 * nothing else in the binary changes), which makes the printer spell every interface out. The
 * printed WIT is then parsed (wit-text.ts) into the same `FunctionType` trees the resolver builds.
 */
import { componentWit } from '@bytecodealliance/jco-transpile/wasm-tools';
import { encodeLeb as leb } from '../../wasm-binary.ts';
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import { readExternName, readExternType, readSortIndex } from './decode-types.ts';
import { ByteReader } from './reader.ts';
import { parseWit, type WitInterface, type WitTypeExpr, type WitWorld } from './wit-text.ts';

const INTERFACE_NAME = /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*(?:\/[a-z][a-z0-9-]*)+(?:@.+)?$/;

/** Renames the outermost component's interface imports and exports into `root:component`. */
export function renameInterfaces(bytes: Uint8Array): { bytes: Uint8Array; original: Map<string, string> } {
  const original = new Map<string, string>();
  const chunks: Uint8Array[] = [bytes.subarray(0, 8)];
  const r = new ByteReader(bytes, 8, bytes.length, 'section header');
  let counter = 0;
  while (!r.atEnd) {
    const start = r.offset;
    const id = r.byte();
    const size = r.u32();
    const s = r.sub(size, 'section');
    if (id !== 10 && id !== 11) {
      chunks.push(bytes.subarray(start, s.end));
      continue;
    }
    const payload: number[] = [];
    const count = s.u32();
    payload.push(...leb(count));
    for (let i = 0; i < count; i++) {
      const entryStart = s.offset;
      const form = s.byte();
      const name = s.name();
      const afterName = s.offset;
      s.offset = entryStart;
      readExternName(s);
      if (id === 10) readExternType(s);
      else {
        readSortIndex(s);
        s.optional(readExternType, 'type');
      }
      let newName = name;
      if (INTERFACE_NAME.test(name)) {
        newName = `root:component/${id === 10 ? 'imp' : 'exp'}${counter++}`;
        original.set(newName.slice('root:component/'.length), name);
      }
      const encoded = new TextEncoder().encode(newName);
      payload.push(form, ...leb(encoded.length), ...encoded, ...bytes.subarray(afterName, s.offset));
    }
    chunks.push(Uint8Array.of(id, ...leb(payload.length), ...payload));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return { bytes: out, original };
}

export interface OracleItem {
  name: string;
  kind: 'interface' | 'func';
  /** Functions by their component-level name (`[method]r.f`, `[constructor]r`, `f`). */
  functions: Map<string, FunctionType>;
  /** Types by name: a `ResourceType` or the type a `type`/record/variant/… stands for. */
  types: Map<string, ResourceType | ValueType>;
}

export interface OracleWorld {
  imports: OracleItem[];
  exports: OracleItem[];
  wit: string;
}

/** The world of `bytes` according to wasm-tools. */
export async function oracleWorld(bytes: Uint8Array): Promise<OracleWorld> {
  const renamed = renameInterfaces(bytes);
  const wit = await componentWit(renamed.bytes);
  const parsed = parseWit(wit);
  return { ...new OracleConverter(parsed, renamed.original).world(), wit };
}

class OracleConverter {
  private readonly parsed: { interfaces: Map<string, WitInterface>; world: WitWorld };
  private readonly original: Map<string, string>;
  private readonly resolved = new Map<string, ResourceType | ValueType>();
  private readonly resolving = new Set<string>();

  constructor(
    parsed: { interfaces: Map<string, WitInterface>; world: WitWorld },
    original: Map<string, string>,
  ) {
    this.parsed = parsed;
    this.original = original;
  }

  world(): Omit<OracleWorld, 'wit'> {
    const convert = (items: WitWorld['imports']) =>
      items.map((item): OracleItem => {
        if (item.kind === 'func') {
          return {
            name: item.name,
            kind: 'func',
            functions: new Map([[item.name, this.func(this.parsed.world.scope, item.func, undefined)]]),
            types: new Map(),
          };
        }
        const iface = item.inline ?? this.interface(item.name);
        return { name: this.original.get(item.name) ?? item.name, kind: 'interface', ...this.members(iface) };
      });
    return { imports: convert(this.parsed.world.imports), exports: convert(this.parsed.world.exports) };
  }

  private interface(name: string): WitInterface {
    const iface = this.parsed.interfaces.get(name);
    if (!iface) throw new Error(`oracle WIT has no interface ${name}`);
    return iface;
  }

  private members(iface: WitInterface): Pick<OracleItem, 'functions' | 'types'> {
    const types = new Map<string, ResourceType | ValueType>();
    for (const name of iface.types.keys()) types.set(name, this.named(iface, name));
    const functions = new Map<string, FunctionType>();
    for (const f of iface.functions) functions.set(f.componentName, this.func(iface, f.func, f.resource));
    return { functions, types };
  }

  private func(
    iface: WitInterface,
    f: WitInterface['functions'][number]['func'],
    resource: string | undefined,
  ): FunctionType {
    const params = f.params.map((p) => ({ name: p.name, type: this.value(iface, p.type) }));
    if (f.kind === 'method' && resource) {
      params.unshift({ name: 'self', type: this.value(iface, { kind: 'borrow', name: resource }) });
    }
    let result = f.result ? this.value(iface, f.result) : undefined;
    if (f.kind === 'constructor' && resource && !result)
      result = this.value(iface, { kind: 'named', name: resource });
    return { params, result, async: f.async };
  }

  /** What a type name of `iface` stands for, following `use` and `type` aliases. */
  private named(iface: WitInterface, name: string): ResourceType | ValueType {
    const key = `${iface.name}\u0000${name}`;
    const done = this.resolved.get(key);
    if (done) return done;
    if (this.resolving.has(key)) throw new Error(`oracle WIT type ${name} refers to itself`);
    this.resolving.add(key);
    const decl = iface.types.get(name);
    if (!decl) throw new Error(`oracle WIT interface ${iface.name} has no type ${name}`);
    let type: ResourceType | ValueType;
    switch (decl.kind) {
      case 'use':
        type = this.named(this.interface(decl.from), decl.name);
        break;
      case 'resource':
        type = {
          kind: 'resource',
          name: `${this.original.get(iface.name) ?? iface.name}#${name}`,
          imported: true,
        };
        break;
      case 'alias': {
        const target = decl.type;
        type = target.kind === 'named' ? this.named(iface, target.name) : this.value(iface, target);
        break;
      }
      default:
        type = this.value(iface, decl);
    }
    this.resolving.delete(key);
    this.resolved.set(key, type);
    return type;
  }

  private value(iface: WitInterface, t: WitTypeExpr): ValueType {
    const v = (x: WitTypeExpr) => this.value(iface, x);
    const opt = (x: WitTypeExpr | undefined) => (x ? v(x) : undefined);
    switch (t.kind) {
      case 'primitive':
        return { kind: 'primitive', name: t.name };
      case 'named': {
        const named = this.named(iface, t.name);
        return named.kind === 'resource' ? { kind: 'own', resource: named } : named;
      }
      case 'own':
      case 'borrow': {
        const named = this.named(iface, t.name);
        if (named.kind !== 'resource') throw new Error(`oracle WIT ${t.kind}<${t.name}> is not a resource`);
        return { kind: t.kind, resource: named };
      }
      case 'list':
        return t.length === undefined
          ? { kind: 'list', element: v(t.element) }
          : { kind: 'list', element: v(t.element), length: t.length };
      case 'option':
        return { kind: 'option', type: v(t.type) };
      case 'result':
        return { kind: 'result', ok: opt(t.ok), err: opt(t.err) };
      case 'tuple':
        return { kind: 'tuple', types: t.types.map(v) };
      case 'future':
      case 'stream':
        return { kind: t.kind, type: opt(t.type) };
      case 'record':
        return { kind: 'record', fields: t.fields.map((f) => ({ name: f.name, type: v(f.type) })) };
      case 'variant':
        return { kind: 'variant', cases: t.cases.map((c) => ({ name: c.name, type: opt(c.type) })) };
      case 'enum':
      case 'flags':
        return { kind: t.kind, names: t.names };
    }
  }
}
