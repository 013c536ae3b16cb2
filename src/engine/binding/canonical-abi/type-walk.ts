/** Questions code generation asks of a type tree. */
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import type { NumericElement } from './lists.ts';

/**
 * The types a value of `t` carries inline. A `stream<T>` or `future<T>` crosses as a handle, so its
 * element type is not one of them: it is lifted and lowered later, by `stream.*`/`future.*`.
 */
export function children(t: ValueType): ValueType[] {
  switch (t.kind) {
    case 'list':
      return [t.element];
    case 'record':
      return t.fields.map((f) => f.type);
    case 'tuple':
      return t.types;
    case 'variant':
      return t.cases.flatMap((c) => (c.type === undefined ? [] : [c.type]));
    case 'option':
      return [t.type];
    case 'result':
      return [t.ok, t.err].filter((x): x is ValueType => x !== undefined);
    default:
      return [];
  }
}

export function contains(t: ValueType, p: (t: ValueType) => boolean): boolean {
  return p(t) || children(t).some((c) => contains(c, p));
}

export const isBorrow = (t: ValueType): boolean => t.kind === 'borrow';
export const isAsyncValue = (t: ValueType): boolean => t.kind === 'future' || t.kind === 'stream';
/** Types whose values live in memory however few flat values they have (`lower(T)` needs memory). */
export const usesMemory = (t: ValueType): boolean =>
  (t.kind === 'primitive' && t.name === 'string') || (t.kind === 'list' && t.length === undefined);

/** Resource types in the order parameters then result are walked, depth first. */
export function collectResources(ft: FunctionType): ResourceType[] {
  const found: ResourceType[] = [];
  const walk = (t: ValueType): void => {
    if ((t.kind === 'own' || t.kind === 'borrow') && !found.includes(t.resource)) found.push(t.resource);
    for (const c of children(t)) walk(c);
  };
  for (const p of ft.params) walk(p.type);
  if (ft.result !== undefined) walk(ft.result);
  return found;
}

/** A structural key of a function type; resources are named by position, so equal keys share code. */
export function functionKey(ft: FunctionType): string {
  const resources = collectResources(ft);
  const key = (t: ValueType | undefined): string => {
    if (t === undefined) return '_';
    switch (t.kind) {
      case 'primitive':
        return t.name;
      case 'list':
        return `list<${key(t.element)}${t.length === undefined ? '' : `,${t.length}`}>`;
      case 'record':
        return `record{${t.fields.map((f) => `${f.name}:${key(f.type)}`).join(',')}}`;
      case 'tuple':
        return `tuple<${t.types.map(key).join(',')}>`;
      case 'variant':
        return `variant{${t.cases.map((c) => `${c.name}:${key(c.type)}`).join(',')}}`;
      case 'enum':
        return `enum{${t.names.join(',')}}`;
      case 'flags':
        return `flags{${t.names.join(',')}}`;
      case 'option':
        return `option<${key(t.type)}>`;
      case 'result':
        return `result<${key(t.ok)},${key(t.err)}>`;
      case 'own':
      case 'borrow':
        return `${t.kind}<R${resources.indexOf(t.resource)}${t.resource.imported ? '' : '*'}>`;
      case 'future':
      case 'stream':
        return `${t.kind}<${key(t.type)}>`;
    }
  };
  return `${ft.async ? 'async ' : ''}(${ft.params.map((p) => key(p.type)).join(',')})->${key(ft.result)}`;
}

/** The typed-array element of a number type (`list<u8>` → `Uint8Array` and so on), if any. */
export function numericElement(t: ValueType): NumericElement | undefined {
  if (t.kind !== 'primitive') return undefined;
  switch (t.name) {
    case 'u8':
    case 's8':
    case 'u16':
    case 's16':
    case 'u32':
    case 's32':
    case 'u64':
    case 's64':
    case 'f32':
    case 'f64':
      return t.name;
    default:
      return undefined;
  }
}

/**
 * jco's `maybe_null`: whether an `option<T>`'s JS value can be `undefined` for `none`, which is
 * the case unless T is itself such an option (`option<option<T>>` uses `{ tag: 'none' }` /
 * `{ tag: 'some', val }` for the outer option, the inner one stays nullable; and so on, alternating).
 */
export function optionIsNullable(t: ValueType & { kind: 'option' }): boolean {
  return !(t.type.kind === 'option' && optionIsNullable(t.type));
}

/** A structural key of one value type (`stream<T>` and `future<T>` ends must carry equal ones). */
export const valueTypeKey = (t: ValueType | undefined): string =>
  functionKey({
    params: t === undefined ? [] : [{ name: 'value', type: t }],
    result: undefined,
    async: false,
  });
