/**
 * Type-level meaning of a component's type definitions: value types become `ValueType` trees,
 * function types `FunctionType`s, and instance and component types become templates that are
 * instantiated where they are used. Instantiating is what gives resources their identity: an
 * `(export "input-stream" (type (sub resource)))` declarator makes a fresh `ResourceType` when the
 * instance type is imported, or stands for the argument's resource when a nested component is
 * instantiated with it — the spec's substitution of type imports, done by passing the source.
 */
import type { FunctionType, PrimitiveType, ResourceType, ValueType } from '../value-types.ts';
import type {
  ComponentDeclaration,
  DefinedValueType,
  ExternType,
  InstanceDeclaration,
  TypeDefinition,
  ValTypeRef,
} from './ast.ts';
import { ComponentParseError, UNSUPPORTED_HINT } from './errors.ts';

/** Where a problem is, for errors: the section, the byte offset and the WIT name when known. */
export interface Place {
  section: string;
  offset: number;
  witName?: string | undefined;
}

export function fail(problem: string, place: Place, hint?: string): never {
  throw new ComponentParseError(problem, place, hint);
}

/** What a type index stands for. */
export type ResolvedType =
  | { kind: 'value'; type: ValueType }
  | { kind: 'func'; type: FunctionType }
  | { kind: 'resource'; resource: ResourceType }
  | { kind: 'instance'; template: InstanceTemplate }
  | { kind: 'component'; shape: ComponentShape };

/** What an index of a component-level sort stands for, at the type level. */
export type ResolvedItem =
  | { kind: 'func'; type: FunctionType }
  | { kind: 'type'; type: ResolvedType }
  | { kind: 'instance'; shape: InstanceShape }
  | { kind: 'component'; shape: ComponentShape }
  | { kind: 'module' }
  | { kind: 'value'; type: ValueType };

/** A concrete instance's type: its exports, every resource bound. */
export interface InstanceShape {
  exports: Map<string, ResolvedItem>;
}

/** A component (definition or type) at the type level: instantiating it gives its exports. */
export interface ComponentShape {
  imports: Array<{ name: string; kind: ExternType['kind'] }>;
  /** `name` prefixes the names of the resources the instance creates (`name#resource`). */
  instantiate(args: Map<string, ResolvedItem>, place: Place, name: string): InstanceShape;
  /** Checks the component's types without arguments (for types nobody instantiates). */
  check(place: Place): void;
}

export interface InstanceTemplate {
  declarations: InstanceDeclaration[];
  scope: TypeScope;
  used: boolean;
}

/** Where the items an import or export declares come from. */
export type ItemSource = { kind: 'fresh'; name: string } | { kind: 'given'; item: ResolvedItem };

/**
 * One scope's component-level index spaces, resolved: a component (definition or instantiation),
 * a component type or an instance type. `types[i]` is type index i of the binary, and so on.
 */
export class TypeScope {
  readonly kind: 'component' | 'component type' | 'instance type';
  readonly parent: TypeScope | undefined;
  readonly types: ResolvedType[] = [];
  readonly funcs: FunctionType[] = [];
  readonly instances: InstanceShape[] = [];
  readonly components: ComponentShape[] = [];
  readonly values: ValueType[] = [];

  constructor(kind: TypeScope['kind'], parent: TypeScope | undefined) {
    this.kind = kind;
    this.parent = parent;
  }

  push(item: ResolvedItem): void {
    if (item.kind === 'func') this.funcs.push(item.type);
    else if (item.kind === 'type') this.types.push(item.type);
    else if (item.kind === 'instance') this.instances.push(item.shape);
    else if (item.kind === 'component') this.components.push(item.shape);
    else if (item.kind === 'value') this.values.push(item.type);
  }

  type(index: number, place: Place): ResolvedType {
    return (
      this.types[index] ??
      fail(`type index ${index} is out of range (${this.types.length} types defined)`, place)
    );
  }

  /** The scope `count` levels out (0 is this one), for outer aliases. */
  outer(count: number, place: Place): TypeScope {
    let scope: TypeScope | undefined = this;
    for (let i = 0; i < count && scope; i++) scope = scope.parent;
    return scope ?? fail(`outer alias reaches ${count} scopes out, past the outermost component`, place);
  }
}

const PRIMITIVE_TYPES = new Map<PrimitiveType, ValueType>();
function primitiveType(name: PrimitiveType): ValueType {
  let type = PRIMITIVE_TYPES.get(name);
  if (!type) {
    type = { kind: 'primitive', name };
    PRIMITIVE_TYPES.set(name, type);
  }
  return type;
}

export function resolveValType(ref: ValTypeRef, scope: TypeScope, place: Place): ValueType {
  if (typeof ref === 'string') return primitiveType(ref);
  const type = scope.type(ref, place);
  if (type.kind !== 'value')
    fail(`type index ${ref} is a ${type.kind} type where a value type is expected`, place);
  return type.type;
}

const optional = (ref: ValTypeRef | undefined, scope: TypeScope, place: Place) =>
  ref === undefined ? undefined : resolveValType(ref, scope, place);

function resourceAt(index: number, scope: TypeScope, place: Place): ResourceType {
  const type = scope.type(index, place);
  if (type.kind !== 'resource')
    fail(`own/borrow of type index ${index}, which is a ${type.kind} type, not a resource`, place);
  return type.resource;
}

function resolveDefinedValueType(type: DefinedValueType, scope: TypeScope, place: Place): ValueType {
  const v = (ref: ValTypeRef) => resolveValType(ref, scope, place);
  switch (type.kind) {
    case 'primitive':
      return primitiveType(type.name);
    case 'record':
      return { kind: 'record', fields: type.fields.map((f) => ({ name: f.name, type: v(f.type) })) };
    case 'variant':
      return {
        kind: 'variant',
        cases: type.cases.map((c) => ({ name: c.name, type: optional(c.type, scope, place) })),
      };
    case 'list':
      return type.length === undefined
        ? { kind: 'list', element: v(type.element) }
        : { kind: 'list', element: v(type.element), length: type.length };
    case 'tuple':
      return { kind: 'tuple', types: type.types.map(v) };
    case 'flags':
      return { kind: 'flags', names: type.names };
    case 'enum':
      return { kind: 'enum', names: type.names };
    case 'option':
      return { kind: 'option', type: v(type.type) };
    case 'result':
      return { kind: 'result', ok: optional(type.ok, scope, place), err: optional(type.err, scope, place) };
    case 'own':
    case 'borrow':
      return { kind: type.kind, resource: resourceAt(type.resource, scope, place) };
    case 'stream':
    case 'future':
      return { kind: type.kind, type: optional(type.type, scope, place) };
    case 'map':
      return fail('map types (`map<K, V>`) are not supported yet', place, UNSUPPORTED_HINT);
  }
}

/** Resolves one type definition; `defineResource` makes the identity of a `(resource ...)` definition. */
export function resolveTypeDefinition(
  definition: TypeDefinition,
  scope: TypeScope,
  place: Place,
  defineResource: (() => ResourceType) | undefined,
): ResolvedType {
  switch (definition.kind) {
    case 'value':
      return { kind: 'value', type: resolveDefinedValueType(definition.type, scope, place) };
    case 'func':
      return {
        kind: 'func',
        type: {
          params: definition.params.map((p) => ({
            name: p.name,
            type: resolveValType(p.type, scope, place),
          })),
          result: optional(definition.result, scope, place),
          async: definition.async,
        },
      };
    case 'resource':
      if (!defineResource) return fail('a resource type defined inside a component or instance type', place);
      return { kind: 'resource', resource: defineResource() };
    case 'instance':
      return { kind: 'instance', template: { declarations: definition.declarations, scope, used: false } };
    case 'component':
      return { kind: 'component', shape: componentTypeShape(definition.declarations, scope) };
  }
}

export function funcTypeAt(scope: TypeScope, index: number, place: Place): FunctionType {
  const type = scope.type(index, place);
  if (type.kind !== 'func')
    fail(`type index ${index} is a ${type.kind} type where a function type is expected`, place);
  return type.type;
}

/** The source of an instance's export `name`, given the source of the instance. */
function exportSource(source: ItemSource, name: string, place: Place): ItemSource {
  if (source.kind === 'fresh') return { kind: 'fresh', name: `${source.name}#${name}` };
  if (source.item.kind !== 'instance')
    return fail(`an instance is expected but a ${source.item.kind} is given`, place);
  const item = source.item.shape.exports.get(name);
  if (!item) fail(`the instance given has no export \`${name}\` (the instance type requires it)`, place);
  return { kind: 'given', item };
}

/** The item an import or export of `type` stands for, its resources taken from `source`. */
export function bindExtern(
  type: ExternType,
  scope: TypeScope,
  source: ItemSource,
  place: Place,
): ResolvedItem {
  const given = source.kind === 'given' ? source.item : undefined;
  if (given && given.kind !== EXTERN_ITEM_KIND[type.kind]) {
    fail(`a ${type.kind} is expected but a ${given.kind} is given`, place);
  }
  switch (type.kind) {
    case 'func':
      return { kind: 'func', type: funcTypeAt(scope, type.type, place) };
    case 'value':
      return {
        kind: 'value',
        type:
          type.bound.kind === 'type'
            ? resolveValType(type.bound.type, scope, place)
            : (scope.values[type.bound.value] ??
              fail(`value index ${type.bound.value} is out of range`, place)),
      };
    case 'type': {
      if (type.bound.kind === 'eq') return { kind: 'type', type: scope.type(type.bound.type, place) };
      if (source.kind === 'fresh') {
        const resource: ResourceType = { kind: 'resource', name: source.name, imported: true };
        return { kind: 'type', type: { kind: 'resource', resource } };
      }
      if (source.item.kind !== 'type' || source.item.type.kind !== 'resource') {
        fail('a resource is expected but something else is given', place);
      }
      return source.item;
    }
    case 'instance': {
      const template = scope.type(type.type, place);
      if (template.kind !== 'instance')
        fail(`type index ${type.type} is a ${template.kind} type, not an instance type`, place);
      return { kind: 'instance', shape: instantiateInstanceType(template.template, source, place) };
    }
    case 'component': {
      if (given?.kind === 'component') return given;
      const shape = scope.type(type.type, place);
      if (shape.kind !== 'component')
        fail(`type index ${type.type} is a ${shape.kind} type, not a component type`, place);
      return { kind: 'component', shape: shape.shape };
    }
    case 'module':
      return { kind: 'module' };
  }
}

const EXTERN_ITEM_KIND: Record<ExternType['kind'], ResolvedItem['kind']> = {
  func: 'func',
  value: 'value',
  type: 'type',
  instance: 'instance',
  component: 'component',
  module: 'module',
};

/**
 * Evaluates type declarators. Exports (and a component type's imports) take their resources from
 * the source their `sourceOf` gives; everything else lands in the scope's index spaces.
 */
function evaluateDeclarations(
  declarations: ComponentDeclaration[],
  scope: TypeScope,
  sourceOf: (declaration: { kind: 'import' | 'export'; name: string }, place: Place) => ItemSource,
  place: Place,
): InstanceShape {
  const exports = new Map<string, ResolvedItem>();
  for (const d of declarations) {
    // Declarators live in the type section, wherever the type is used from.
    const at: Place = { section: 'type', offset: d.offset, witName: place.witName };
    switch (d.kind) {
      case 'core type':
        break;
      case 'type':
        scope.types.push(resolveTypeDefinition(d.type, scope, at, undefined));
        break;
      case 'alias': {
        const { sort, target } = d.alias;
        if (target.kind === 'outer') {
          if (sort === 'type') {
            const outer = scope.outer(target.count, at);
            scope.types.push(outer.type(target.index, at));
          } else if (sort !== 'core type') fail(`a type declarator cannot alias an outer ${sort}`, at);
        } else if (target.kind === 'export') {
          const instance =
            scope.instances[target.instance] ?? fail(`instance index ${target.instance} is out of range`, at);
          const item =
            instance.exports.get(target.name) ?? fail(`the instance has no export \`${target.name}\``, at);
          if (item.kind !== SORT_ITEM_KIND[sort])
            fail(`export \`${target.name}\` is a ${item.kind}, not a ${sort}`, at);
          scope.push(item);
        } else fail('a type declarator cannot alias a core instance export', at);
        break;
      }
      case 'import':
      case 'export': {
        const witAt = { ...at, witName: place.witName ? `${place.witName}#${d.name.name}` : d.name.name };
        const item = bindExtern(d.type, scope, sourceOf({ kind: d.kind, name: d.name.name }, witAt), witAt);
        if (d.kind === 'export') {
          if (exports.has(d.name.name)) fail(`export \`${d.name.name}\` is declared twice`, witAt);
          exports.set(d.name.name, item);
        }
        scope.push(item);
        break;
      }
    }
  }
  checkUnusedTypes(scope, place);
  return { exports };
}

/** The item kind an alias or export of each component-level sort must be. */
export const SORT_ITEM_KIND: Record<string, ResolvedItem['kind']> = {
  func: 'func',
  value: 'value',
  type: 'type',
  instance: 'instance',
  component: 'component',
  'core module': 'module',
};

export function instantiateInstanceType(
  template: InstanceTemplate,
  source: ItemSource,
  place: Place,
): InstanceShape {
  template.used = true;
  const scope = new TypeScope('instance type', template.scope);
  return evaluateDeclarations(
    template.declarations,
    scope,
    (d, at) => exportSource(source, d.name, at),
    place,
  );
}

function componentTypeShape(declarations: ComponentDeclaration[], outer: TypeScope): ComponentShape {
  const imports = declarations.flatMap((d) =>
    d.kind === 'import' ? [{ name: d.name.name, kind: d.type.kind }] : [],
  );
  const run = (
    sourceOf: (d: { kind: 'import' | 'export'; name: string }, at: Place) => ItemSource,
    place: Place,
  ) => evaluateDeclarations(declarations, new TypeScope('component type', outer), sourceOf, place);
  return {
    imports,
    instantiate(args, place, name) {
      // A component type's exported resources are fresh for each instance (they are generative).
      return run((d, at) => {
        if (d.kind === 'export') return { kind: 'fresh', name: `${name}#${d.name}` };
        const item = args.get(d.name) ?? fail(`instantiation is missing the argument \`${d.name}\``, at);
        return { kind: 'given', item };
      }, place);
    },
    check(place) {
      run((d) => ({ kind: 'fresh', name: d.name }), place);
    },
  };
}

/** Checks the instance and component types of a scope that were defined but never used. */
export function checkUnusedTypes(scope: TypeScope, place: Place): void {
  for (const type of scope.types) {
    if (type.kind === 'instance' && !type.template.used) {
      instantiateInstanceType(type.template, { kind: 'fresh', name: '(unused type)' }, place);
    } else if (type.kind === 'component') type.shape.check(place);
  }
}
