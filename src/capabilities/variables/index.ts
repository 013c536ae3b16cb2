/**
 * Variables and secrets: `[variables]` at the top of the manifest, `variables = { … }` per
 * component (manifest.ts), values from the environment, `.env` or defaults (resolve.ts), read by
 * guests through wasi:config/store or Spin's variables interface (host.ts).
 */
import type { Capability } from '../capability.ts';
import { variablesImports } from './host.ts';
import { checkTemplates, validateAppVariables, validateComponentVariables } from './manifest.ts';
import { ResolvedVariables } from './resolve.ts';

export const variables: Capability<ResolvedVariables> = {
  name: 'variables',
  componentKeys: ['variables'],
  topLevelKeys: ['variables'],
  validate({ checker, component, path, spot }) {
    const own = validateComponentVariables(checker, component, path, spot);
    return Object.keys(own).length > 0 ? { variables: own } : {};
  },
  validateApp(checker, root, app) {
    const declared = validateAppVariables(checker, root);
    checkTemplates(checker, declared, app.components.values());
    return Object.keys(declared).length > 0 ? { variables: declared } : {};
  },
  interfaces: [
    // 0.2.0-draft-2024-09-27 (Spin), 0.2.0-rc.1 (wasmCloud 2): the same `store` interface.
    { name: 'wasi:config/store' },
    { name: 'fermyon:spin/variables', versions: [/^2\.0\.0$/] },
    { name: 'spin:variables/variables', versions: [/^3\.0\.0$/] },
  ],
  configure: (app) => ResolvedVariables.resolve(app),
  prepare(spec, resolved) {
    // The component's values, the same for every instance: one host for all of them.
    const host = { imports: variablesImports(resolved.forComponent(spec)) };
    return { instance: () => host };
  },
};
