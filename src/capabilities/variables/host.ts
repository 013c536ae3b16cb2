/**
 * A component's variables to its guest: `wasi:config/store` (get, get-all) and Spin's
 * `fermyon:spin/variables@2.0.0` and `spin:variables/variables@3.0.0` (get). Both read the same map: the component's own variables,
 * resolved when the app started.
 */
import { VARIABLE_NAME } from './manifest.ts';

export function variablesImports(values: ReadonlyMap<string, string>) {
  const all = [...values];
  const spinGet = (name: string): string => {
    if (!VARIABLE_NAME.test(name)) throw { payload: { tag: 'invalid-name', val: name } };
    const value = values.get(name);
    if (value === undefined) throw { payload: { tag: 'undefined', val: name } };
    return value;
  };
  return {
    'wasi:config/store': {
      get: (key: string): string | undefined => values.get(key),
      getAll: (): Array<[string, string]> => all.map(([k, v]) => [k, v]),
    },
    'fermyon:spin/variables': { get: spinGet },
    // 3.0.0's `get` is an `async func`; a value at hand is returned at once all the same.
    'spin:variables/variables': { get: spinGet },
  };
}
