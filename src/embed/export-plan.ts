/**
 * How a component's exports appear to a Node app, worked out once from its parsed world: which
 * keys, functions, resource classes and named types. The runtime surface (export-surface.ts) and
 * the TypeScript declarations (types-dts.ts) both read this plan, so the names a program calls and
 * the names its types declare cannot drift apart. Names follow jco: an exported interface under its
 * full name and its short lowerCamelCase name (`skiff:plugin/api` and `api`), functions and methods
 * in lowerCamelCase, resources as UpperCamelCase classes. One difference: a resource is made with
 * `await Counter.create(…)`, since every call into the guest is asynchronous (JSPI, limits).
 */
import { lowerCamelCase } from '../engine/binding/canonical-abi/js-names.ts';
import type { ComponentWorld, ResolvedItem, ResolvedType } from '../engine/binding/parse/index.ts';
import type { FunctionType, ResourceType } from '../engine/binding/value-types.ts';

/** One exported function: a free function, or a resource's constructor, method or static function. */
export interface PlannedFunction {
  /** As the component names it: `greet`, `[method]counter.increment`, `[constructor]counter`. */
  witName: string;
  /** Its JS name: `greet`, `increment`, `create` for a constructor. */
  key: string;
  type: FunctionType;
  /** `skiff:plugin/api#greet`, or `version` for a function the world exports: for errors and logs. */
  site: string;
}

export interface PlannedResource {
  witName: string;
  /** `Counter`. */
  className: string;
  resource: ResourceType;
  constructor: PlannedFunction | undefined;
  methods: PlannedFunction[];
  statics: PlannedFunction[];
}

export interface PlannedInterface {
  kind: 'interface';
  /** `skiff:plugin/api` (with its version, if any). */
  exportName: string;
  /** The keys it is reachable under: the export name, and the short name when no other export has it. */
  keys: string[];
  functions: PlannedFunction[];
  resources: PlannedResource[];
  /** Its named types (records, variants, …), by WIT name, for the declarations. */
  types: Array<{ witName: string; type: ResolvedType }>;
}

export interface PlannedWorldFunction {
  kind: 'function';
  exportName: string;
  keys: string[];
  function: PlannedFunction;
}

export type PlannedExport = PlannedInterface | PlannedWorldFunction;

/** The name a resource's constructor takes on its class (`new` cannot be asynchronous). */
export const CONSTRUCTOR_KEY = 'create';

export const upperCamelCase = (kebab: string): string => {
  const lower = lowerCamelCase(kebab);
  return lower.charAt(0).toUpperCase() + lower.slice(1);
};

/** `skiff:plugin/my-api@1.0.0` → `my-api`: the interface's own name, as WIT spells it. */
export const interfaceLocalName = (exportName: string): string =>
  exportName.replace(/@[^@/]*$/, '').replace(/^.*\//, '');

/** `skiff:plugin/my-api@1.0.0` → `myApi`: the short key jco also gives an exported interface. */
export const shortInterfaceName = (exportName: string): string =>
  lowerCamelCase(interfaceLocalName(exportName));

/** An export this surface cannot show (a component-model feature no plugin needs yet). */
export class UnsupportedExportError extends Error {
  override name = 'UnsupportedExportError';
}

export function planExports(world: ComponentWorld): PlannedExport[] {
  const planned: PlannedExport[] = [];
  for (const { name, item } of world.exports) {
    if (item.kind === 'func') {
      const fn: PlannedFunction = { witName: name, key: lowerCamelCase(name), type: item.type, site: name };
      planned.push({ kind: 'function', exportName: name, keys: [fn.key], function: fn });
    } else if (item.kind === 'instance') {
      planned.push(planInterface(name, item.shape.exports));
    }
    // Exported types, modules and components have no JS value to call.
  }
  // The short name too, as jco does, unless two exports would share it.
  const taken = new Map<string, number>();
  for (const p of planned) for (const key of shortKeys(p)) taken.set(key, (taken.get(key) ?? 0) + 1);
  for (const p of planned)
    if (p.kind === 'interface') {
      const short = shortInterfaceName(p.exportName);
      if (taken.get(short) === 1 && short !== p.exportName) p.keys.push(short);
    }
  return planned;
}

function shortKeys(p: PlannedExport): string[] {
  return p.kind === 'function' ? p.keys : [shortInterfaceName(p.exportName)];
}

function planInterface(exportName: string, items: Map<string, ResolvedItem>): PlannedInterface {
  const functions: PlannedFunction[] = [];
  const resources = new Map<string, PlannedResource>();
  const types: PlannedInterface['types'] = [];
  for (const [witName, item] of items) {
    if (item.kind !== 'type') continue;
    // A resource the interface only mentions (imported, e.g. wasi:io's streams) is the host's.
    if (item.type.kind === 'resource') {
      if (!item.type.resource.imported)
        resources.set(witName, {
          witName,
          className: upperCamelCase(witName),
          resource: item.type.resource,
          constructor: undefined,
          methods: [],
          statics: [],
        });
    } else types.push({ witName, type: item.type });
  }
  for (const [witName, item] of items) {
    if (item.kind !== 'func') continue;
    const site = `${exportName}#${witName}`;
    const member = /^\[(constructor|method|static)\]([^.]*)(?:\.(.*))?$/.exec(witName);
    if (!member) {
      functions.push({ witName, key: lowerCamelCase(witName), type: item.type, site });
      continue;
    }
    const [, kind, resourceName = '', method = ''] = member;
    const owner = resources.get(resourceName);
    if (!owner)
      throw new UnsupportedExportError(
        `${site} belongs to resource \`${resourceName}\`, which ${exportName} does not export`,
      );
    if (kind === 'constructor') owner.constructor = { witName, key: CONSTRUCTOR_KEY, type: item.type, site };
    else
      (kind === 'method' ? owner.methods : owner.statics).push({
        witName,
        key: lowerCamelCase(method),
        type: item.type,
        site,
      });
  }
  for (const r of resources.values()) {
    const statics = new Set(r.statics.map((s) => s.key));
    if (r.constructor && statics.has(CONSTRUCTOR_KEY))
      throw new UnsupportedExportError(
        `${exportName}#${r.witName} has both a constructor and a static function named \`${CONSTRUCTOR_KEY}\`; the constructor is \`${r.className}.${CONSTRUCTOR_KEY}\` in JS, so rename the static function`,
      );
  }
  return {
    kind: 'interface',
    exportName,
    keys: [exportName],
    functions,
    resources: [...resources.values()],
    types,
  };
}
