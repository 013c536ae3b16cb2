/**
 * Where each planned export is found on one instance's exports, for each binder. Skiff's binder
 * gives an exported interface as an object of functions keyed by their lowerCamelCase component
 * names (`[method]counter.increment` included, with the resource as the first argument) and hands
 * guest resources out as `GuestResource` values; jco's glue gives classes. Both give the same values
 * otherwise (jco-differential.test.ts), so the surface above is the same whichever binds.
 */
import { lowerCamelCase } from '../engine/binding/canonical-abi/js-names.ts';
import { ComponentError } from '../engine/binding/canonical-abi/trap.ts';
import { dropGuestResource } from '../engine/binding/link/instantiate.ts';
import type { BinderName, GuestExports } from '../engine/component.ts';
import { type PlannedFunction, upperCamelCase } from './export-plan.ts';

type Callable = (...args: unknown[]) => unknown;

export interface BinderAccess {
  /** The function to call for `fn` (of the interface exported as `iface`, or of the world itself). */
  function(exports: GuestExports, iface: string | undefined, fn: PlannedFunction): Callable;
  /** Drops an owned resource the app holds, running the guest's destructor. */
  drop(exports: GuestExports, raw: unknown): Promise<void> | void;
}

const skiffAccess: BinderAccess = {
  function: (exports, iface, fn) =>
    iface === undefined ? exports[fn.witName] : exports[iface][lowerCamelCase(fn.witName)],
  drop: (exports, raw) => exports[dropGuestResource as unknown as string](raw),
};

const jcoAccess: BinderAccess = {
  function(exports, iface, fn) {
    if (iface === undefined) return withComponentErrors(exports[lowerCamelCase(fn.witName)]);
    const object = exports[iface];
    const member = /^\[(constructor|method|static)\]([^.]*)(?:\.(.*))?$/.exec(fn.witName);
    if (!member) return withComponentErrors(object[fn.key]);
    const [, kind, resource = '', method = ''] = member;
    const cls = object[upperCamelCase(resource)];
    if (kind === 'constructor') return withComponentErrors((...args) => new cls(...args));
    if (kind === 'static') return withComponentErrors((...args) => cls[lowerCamelCase(method)](...args));
    return withComponentErrors((self, ...args) =>
      (self as Record<string, Callable>)[lowerCamelCase(method)]?.(...args),
    );
  },
  drop: (_exports, raw) => (raw as { [Symbol.dispose](): void })[Symbol.dispose](),
};

export const BINDER_ACCESS: Record<BinderName, BinderAccess> = { skiff: skiffAccess, jco: jcoAccess };

/**
 * jco's glue as Skiff loads it throws a top-level `err`'s bare payload (jco-transpile's default);
 * Skiff's binder throws a ComponentError carrying it, as jco's CLI output does. WIT values are never
 * Errors, so a thrown non-Error is such a payload.
 */
function withComponentErrors(f: Callable): Callable {
  return async (...args) => {
    try {
      return await f(...args);
    } catch (e) {
      throw e instanceof Error ? e : new ComponentError(e);
    }
  };
}
