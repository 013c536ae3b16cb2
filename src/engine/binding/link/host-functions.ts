/**
 * Where a component's imported function lives in Skiff's WASI host, whose objects follow jco's
 * layout: one object per interface (keyed without its version), resources as classes named in
 * UpperCamelCase, functions and methods in lowerCamelCase. `[method]r.f` is called on the resource
 * object, `[static]r.f` on its class, `[constructor]r` with `new`. The names are worked out once
 * per function; each instance only looks its own host object up.
 */
import type { HostCall } from '../canonical-abi/generate.ts';
import { lowerCamelCase } from '../canonical-abi/js-names.ts';

export interface HostBinding {
  call: HostCall;
  /**
   * The function, or the class for `static` and `constructor` calls (unused for `method`), in this
   * instance's host. What the host does not provide traps when called, naming what is missing: an
   * interface Skiff does not grant links, but using it fails loudly, never silently.
   */
  callee(hostImports: Record<string, object>): unknown;
}

/** `wasi:io/streams@0.2.10` → `wasi:io/streams`: the host implements every 0.2.x under one name. */
export const unversioned = (interfaceName: string): string => interfaceName.replace(/@[^@/]*$/, '');

/**
 * The host object's key: every 0.2.x unversioned (as jco lays it out), every 0.3.x as `…@0.3`,
 * since WASI 0.3 changed the interfaces (async functions, streams) under the same names.
 */
export const hostInterfaceKey = (interfaceName: string): string =>
  /@0\.3(\.|$)/.test(interfaceName) ? `${unversioned(interfaceName)}@0.3` : unversioned(interfaceName);

const upperCamelCase = (kebab: string): string => {
  const lower = lowerCamelCase(kebab);
  return lower.charAt(0).toUpperCase() + lower.slice(1);
};

const bindings = new Map<string, HostBinding>();

export function hostBinding(interfaceName: string, func: string): HostBinding {
  const key = `${interfaceName}#${func}`;
  let binding = bindings.get(key);
  if (!binding) {
    binding = makeBinding(interfaceName, func);
    bindings.set(key, binding);
  }
  return binding;
}

function makeBinding(interfaceName: string, func: string): HostBinding {
  const iface = hostInterfaceKey(interfaceName);
  const fail = () => {
    throw new Error(
      `${interfaceName}#${func} is not available to this component (Skiff does not grant ${iface})`,
    );
  };
  const member = /^\[(method|static|constructor)\](.*)$/.exec(func);
  if (!member) {
    const name = lowerCamelCase(func);
    return {
      call: { kind: 'function' },
      callee: (host) => {
        const fn = (host[iface] as Record<string, unknown> | undefined)?.[name];
        return typeof fn === 'function' ? fn : fail;
      },
    };
  }
  const [, kind, rest] = member as unknown as [string, string, string];
  const dot = rest.indexOf('.');
  if (kind === 'method')
    return { call: { kind: 'method', name: lowerCamelCase(rest.slice(dot + 1)) }, callee: () => undefined };
  const className = upperCamelCase(kind === 'constructor' ? rest : rest.slice(0, dot));
  const classOf = (host: Record<string, object>) => {
    const cls = (host[iface] as Record<string, unknown> | undefined)?.[className];
    return typeof cls === 'function' ? (cls as unknown as Record<string, unknown>) : undefined;
  };
  if (kind === 'constructor') {
    return { call: { kind: 'constructor' }, callee: (host) => classOf(host) ?? fail };
  }
  const name = lowerCamelCase(rest.slice(dot + 1));
  return {
    call: { kind: 'static', name },
    callee: (host) => {
      const cls = classOf(host);
      return typeof cls?.[name] === 'function' ? cls : { [name]: fail };
    },
  };
}
