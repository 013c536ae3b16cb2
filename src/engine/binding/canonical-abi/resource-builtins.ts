/**
 * `canon resource.new`, `resource.rep` and `resource.drop` as core functions for one instance and
 * resource type. Dropping an owned host resource calls its `[Symbol.dispose]()` when it has one
 * (as jco's glue does); a guest-defined resource's destructor is the core function the binder passes.
 */
import type { ResourceType } from '../value-types.ts';
import type { ComponentInstanceState } from './context.ts';
import { trap } from './trap.ts';

function checkMayLeave(instance: ComponentInstanceState, what: string): void {
  if (!instance.mayLeave) trap('may-leave', what);
}

/** `(rep: i32) → handle`, for a resource the component defines. */
export function resourceNew(instance: ComponentInstanceState, rt: ResourceType): (rep: number) => number {
  if (rt.imported)
    throw new TypeError(`resource.new needs a resource the component defines, ${rt.name} is imported`);
  const handles = instance.handles;
  return (rep) => {
    checkMayLeave(instance, `resource.new of ${rt.name}`);
    return handles.addOwn(rt, rep);
  };
}

/** `(handle) → rep: i32`, for a resource the component defines. */
export function resourceRep(instance: ComponentInstanceState, rt: ResourceType): (handle: number) => number {
  if (rt.imported)
    throw new TypeError(`resource.rep needs a resource the component defines, ${rt.name} is imported`);
  const handles = instance.handles;
  return (handle) => handles.resourceRep(handle >>> 0, rt) as number;
}

/**
 * `(handle) → ()`. For an owned handle, runs `destructor(rep)`: by default, for a host resource,
 * the object's `[Symbol.dispose]()`; for a guest-defined one the binder passes the `dtor` core
 * function (or nothing when the resource has none).
 */
export function resourceDrop(
  instance: ComponentInstanceState,
  rt: ResourceType,
  destructor: ((rep: unknown) => void) | undefined = rt.imported ? disposeHostResource : undefined,
): (handle: number) => void {
  const handles = instance.handles;
  return (handle) => {
    checkMayLeave(instance, `resource.drop of ${rt.name}`);
    const rep = handles.resourceDrop(handle >>> 0, rt);
    if (rep !== undefined && destructor !== undefined) destructor(rep);
  };
}

function disposeHostResource(rep: unknown): void {
  const dispose = (rep as { [Symbol.dispose]?: unknown })[Symbol.dispose];
  if (typeof dispose === 'function') dispose.call(rep);
}
