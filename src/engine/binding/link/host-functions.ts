/**
 * Where a component's imported function lives in Skiff's WASI host, whose objects follow jco's
 * layout: one object per interface (keyed without its version), resources as classes named in
 * UpperCamelCase, functions and methods in lowerCamelCase. `[method]r.f` is called on the resource
 * object, `[static]r.f` on its class, `[constructor]r` with `new`.
 */
import type { HostCall } from '../canonical-abi/generate.ts';
import { lowerCamelCase } from '../canonical-abi/js-names.ts';

export interface HostFunction {
  call: HostCall;
  /** The function, or the class for `static` and `constructor` calls (unused for `method`). */
  callee: unknown;
}

/** `wasi:io/streams@0.2.10` → `wasi:io/streams`: the host implements every 0.2.x under one name. */
export const unversioned = (interfaceName: string): string => interfaceName.replace(/@[^@/]*$/, '');

const upperCamelCase = (kebab: string): string => {
  const lower = lowerCamelCase(kebab);
  return lower.charAt(0).toUpperCase() + lower.slice(1);
};

/**
 * The host implementation of `func` from `interfaceName`, or a function that traps naming what is
 * missing: an interface Skiff does not grant links, but using it fails loudly, never silently.
 */
export function hostFunction(
  hostImports: Record<string, object>,
  interfaceName: string,
  func: string,
): HostFunction {
  const host = hostImports[unversioned(interfaceName)] as Record<string, unknown> | undefined;
  const missing = (): HostFunction => ({
    call: { kind: 'function' },
    callee: () => {
      throw new Error(
        `${interfaceName}#${func} is not available to this component (Skiff does not grant ${unversioned(interfaceName)})`,
      );
    },
  });
  const member = /^\[(method|static|constructor)\](.*)$/.exec(func);
  if (!member) {
    const fn = host?.[lowerCamelCase(func)];
    return typeof fn === 'function' ? { call: { kind: 'function' }, callee: fn } : missing();
  }
  const [, kind, rest] = member as unknown as [string, string, string];
  if (kind === 'method')
    return {
      call: { kind: 'method', name: lowerCamelCase(rest.slice(rest.indexOf('.') + 1)) },
      callee: undefined,
    };
  const resource = kind === 'constructor' ? rest : rest.slice(0, rest.indexOf('.'));
  const cls = host?.[upperCamelCase(resource)];
  if (typeof cls !== 'function') return missing();
  if (kind === 'constructor') return { call: { kind: 'constructor' }, callee: cls };
  const name = lowerCamelCase(rest.slice(rest.indexOf('.') + 1));
  if (typeof (cls as unknown as Record<string, unknown>)[name] !== 'function') return missing();
  return { call: { kind: 'static', name }, callee: cls };
}
