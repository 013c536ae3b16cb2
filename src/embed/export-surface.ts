/**
 * The exports object a Node app calls, built from the export plan: each exported interface an
 * object of async functions and resource classes, each function the world exports an async
 * function. Every call converts resource handles in its arguments and result (ResourceHandles)
 * and runs in an instance under the limits (InstanceModel).
 */

import { collectResources } from '../engine/binding/canonical-abi/type-walk.ts';
import type { ResourceType } from '../engine/binding/value-types.ts';
import type { BinderAccess } from './binder-access.ts';
import type { PlannedExport, PlannedFunction, PlannedInterface, PlannedResource } from './export-plan.ts';
import type { InstanceModel, Lifecycle } from './instances.ts';
import { type ResourceClass, ResourceHandles } from './resource-handles.ts';

interface SurfaceContext {
  file: string;
  lifecycle: Lifecycle;
  access: BinderAccess;
  instances: InstanceModel;
}

type AsyncFunction = (...args: unknown[]) => Promise<unknown>;

/** Passed to a resource class's constructor by the surface only: apps get objects from `create`. */
const INTERNAL = Symbol('skiff.resourceHandle');

export function buildSurface(plan: PlannedExport[], context: SurfaceContext): Record<string, unknown> {
  const classes = new Map<ResourceType, ResourceClass & { cls: new (token: symbol) => object }>();
  for (const p of plan)
    if (p.kind === 'interface')
      for (const r of p.resources) {
        const cls = resourceClass(r);
        classes.set(r.resource, { className: r.className, cls, make: () => new cls(INTERNAL) });
      }
  const handles = new ResourceHandles(context.file, classes);
  const callable = (iface: string | undefined, fn: PlannedFunction): AsyncFunction => {
    const takesResources = collectResources(fn.type).some((r) => !r.imported);
    return (...args) => {
      if (takesResources && context.lifecycle === 'fresh')
        return Promise.reject(
          new TypeError(
            `${context.file}: ${fn.site} takes or returns a resource, which cannot outlive its call with lifecycle 'fresh' (every call gets a new instance); load the component with lifecycle 'reuse'`,
          ),
        );
      return context.instances.run(fn.site, async (instance) => {
        const guestArgs = handles.argsToGuest(fn.type, args, instance, fn.site);
        const result = await context.access.function(instance.exports, iface, fn)(...guestArgs);
        return handles.resultFromGuest(fn.type, result, instance);
      });
    };
  };

  const surface: Record<string, unknown> = {};
  for (const p of plan) {
    const value =
      p.kind === 'function'
        ? callable(undefined, p.function)
        : interfaceObject(p, callable, classes, handles, context);
    for (const key of p.keys) surface[key] = value;
  }
  return surface;
}

function interfaceObject(
  p: PlannedInterface,
  callable: (iface: string | undefined, fn: PlannedFunction) => AsyncFunction,
  classes: Map<ResourceType, { cls: new (token: symbol) => object }>,
  handles: ResourceHandles,
  context: SurfaceContext,
): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const fn of p.functions) object[fn.key] = callable(p.exportName, fn);
  for (const r of p.resources) {
    const cls = (classes.get(r.resource) as { cls: new (token: symbol) => object }).cls as unknown as Record<
      string | symbol,
      unknown
    > & { prototype: Record<string | symbol, unknown> };
    if (r.constructor) cls[r.constructor.key] = callable(p.exportName, r.constructor);
    for (const s of r.statics) cls[s.key] = callable(p.exportName, s);
    for (const m of r.methods) {
      const call = callable(p.exportName, m);
      // `this` is the handle: the method's first parameter (`self: borrow<…>`).
      cls.prototype[m.key] = function (this: object, ...args: unknown[]) {
        return call(this, ...args);
      };
    }
    cls.prototype[Symbol.asyncDispose] = function (this: object) {
      return dropHandle(this, p, r, handles, context);
    };
    object[r.className] = cls;
  }
  return object;
}

/**
 * Drops a resource the app holds: the guest's destructor runs (in turn with other calls). Dropping
 * twice, or one the guest was given or whose instance is gone, does nothing.
 */
async function dropHandle(
  handle: object,
  p: PlannedInterface,
  r: PlannedResource,
  handles: ResourceHandles,
  context: SurfaceContext,
): Promise<void> {
  const record = handles.record(handle);
  if (record?.state !== 'live' || record.owner.discarded !== undefined) return;
  record.state = 'dropped';
  await context.instances.run(`${p.exportName}#[resource-drop]${r.witName}`, async (instance) => {
    if (instance === record.owner) await context.access.drop(instance.exports, record.raw);
  });
}

function resourceClass(r: PlannedResource): new (token: symbol) => object {
  const make = r.constructor ? `await ${r.className}.${r.constructor.key}(…)` : `a function that returns one`;
  const cls = class {
    constructor(token: symbol) {
      if (token !== INTERNAL) throw new TypeError(`a ${r.className} is made by the component: use ${make}`);
    }
  };
  Object.defineProperty(cls, 'name', { value: r.className });
  return cls;
}
