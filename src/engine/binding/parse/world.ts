/**
 * A component's world as the host sees it: each top-level import and export, with every function's
 * `FunctionType` resolved and each resource one `ResourceType` object wherever it is mentioned.
 * Imported resources are named `interface#name` when their import is resolved; resources the
 * component defines get the name of the export that first shows them (`my:pkg/api#blob`).
 */
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import type { Component } from './ast.ts';
import { type ComponentScope, evaluateComponent } from './resolve-component.ts';
import type { InstanceShape, ResolvedItem, ResolvedType } from './resolve-types.ts';

export interface WorldItem {
  /** The import or export name: `wasi:io/streams@0.2.10`, `run`, … */
  name: string;
  item: ResolvedItem;
}

export interface ComponentWorld {
  imports: WorldItem[];
  exports: WorldItem[];
}

export interface ResolvedComponent {
  component: Component;
  /** The outermost component's index spaces, resolved (`scope.funcs[i]`, `scope.types[i]`, …). */
  scope: ComponentScope;
  world: ComponentWorld;
}

/** Resolves every type of a decoded component. Throws `ComponentParseError`. */
export function resolveComponent(component: Component): ResolvedComponent {
  const scope = evaluateComponent(component, undefined, (name) => ({ kind: 'fresh', name }));
  const world: ComponentWorld = {
    imports: [...scope.imports].map(([name, item]) => ({ name, item })),
    exports: [...scope.exports].map(([name, item]) => ({ name, item })),
  };
  nameDefinedResources(scope, world);
  return { component, scope, world };
}

function nameDefinedResources(scope: ComponentScope, world: ComponentWorld): void {
  const named = new Set<ResourceType>();
  const defined = new Set<ResourceType>();
  const collect = (s: ComponentScope) => {
    for (const resource of s.resources.keys()) defined.add(resource);
    for (const nested of s.instantiations.values()) collect(nested);
  };
  collect(scope);
  const name = (resource: ResourceType, as: string) => {
    if (defined.has(resource) && !named.has(resource)) {
      resource.name = as;
      named.add(resource);
    }
  };
  const visit = (prefix: string, item: ResolvedItem) => {
    if (item.kind === 'type' && item.type.kind === 'resource') name(item.type.resource, prefix);
    else if (item.kind === 'instance') {
      for (const [export_, inner] of item.shape.exports) visit(`${prefix}#${export_}`, inner);
    }
  };
  for (const { name: exportName, item } of world.exports) visit(exportName, item);
}

/** The functions of an instance shape, in declaration order (`[method]r.f` names included). */
export function functionsOf(shape: InstanceShape): Array<{ name: string; type: FunctionType }> {
  const functions: Array<{ name: string; type: FunctionType }> = [];
  for (const [name, item] of shape.exports)
    if (item.kind === 'func') functions.push({ name, type: item.type });
  return functions;
}

/** The resources an instance shape exports, by their export name. */
export function resourcesOf(shape: InstanceShape): Map<string, ResourceType> {
  const resources = new Map<string, ResourceType>();
  for (const [name, item] of shape.exports) {
    if (item.kind === 'type' && item.type.kind === 'resource') resources.set(name, item.type.resource);
  }
  return resources;
}

/**
 * The type of function `func` of the instance imported or exported as `name`, or of the function
 * imported or exported directly as `name` when `func` is left out. Undefined when there is none.
 */
export function functionTypeOf(
  world: ComponentWorld,
  direction: 'import' | 'export',
  name: string,
  func?: string,
): FunctionType | undefined {
  const entry = (direction === 'import' ? world.imports : world.exports).find((e) => e.name === name);
  if (!entry) return undefined;
  const item =
    func === undefined
      ? entry.item
      : entry.item.kind === 'instance'
        ? entry.item.shape.exports.get(func)
        : undefined;
  return item?.kind === 'func' ? item.type : undefined;
}

/** Structural equality of value types; resources compare by identity. */
export function sameValueType(a: ValueType | undefined, b: ValueType | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'primitive':
      return a.name === (b as typeof a).name;
    case 'list': {
      const other = b as typeof a;
      return a.length === other.length && sameValueType(a.element, other.element);
    }
    case 'record': {
      const other = b as typeof a;
      return (
        a.fields.length === other.fields.length &&
        a.fields.every(
          (f, i) => f.name === other.fields[i]?.name && sameValueType(f.type, other.fields[i]?.type),
        )
      );
    }
    case 'tuple': {
      const other = b as typeof a;
      return (
        a.types.length === other.types.length && a.types.every((t, i) => sameValueType(t, other.types[i]))
      );
    }
    case 'variant': {
      const other = b as typeof a;
      return (
        a.cases.length === other.cases.length &&
        a.cases.every(
          (c, i) => c.name === other.cases[i]?.name && sameValueType(c.type, other.cases[i]?.type),
        )
      );
    }
    case 'enum':
    case 'flags': {
      const other = b as typeof a;
      return a.names.length === other.names.length && a.names.every((n, i) => n === other.names[i]);
    }
    case 'option':
    case 'future':
    case 'stream':
      return sameValueType(a.type, (b as typeof a).type);
    case 'result': {
      const other = b as typeof a;
      return sameValueType(a.ok, other.ok) && sameValueType(a.err, other.err);
    }
    case 'own':
    case 'borrow':
      return a.resource === (b as typeof a).resource;
  }
}

/** Equality of function types: same async-ness, parameter names and types, and result. */
export function sameFunctionType(a: FunctionType, b: FunctionType): boolean {
  return (
    a.async === b.async &&
    a.params.length === b.params.length &&
    a.params.every((p, i) => p.name === b.params[i]?.name && sameValueType(p.type, b.params[i]?.type)) &&
    sameValueType(a.result, b.result)
  );
}

export type { InstanceShape, ResolvedItem, ResolvedType };
