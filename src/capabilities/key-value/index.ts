/**
 * Key-value stores: `key_value_stores = ["default"]` in `[component.X]` lets the component open
 * those labels through `wasi:keyvalue` (draft2) or Spin's key-value interface; any other label is
 * access-denied. Which backend serves a label comes from the runtime config (stores.ts).
 */
import type { ComponentSpec } from '../../manifest/app.ts';
import { closestMatch } from '../../manifest/keys.ts';
import { type Capability, CapabilityConfigError, type InstanceHost } from '../capability.ts';
import { StoreAccess } from './access.ts';
import { SPIN_KEY_VALUE_SUSPENDING, spinKeyValueImports } from './spin-host.ts';
import { AppStores, DEFAULT_LABEL, KEY_VALUE_TABLE } from './stores.ts';
import { WASI_KEY_VALUE_SUSPENDING, wasiKeyValueImports } from './wasi-host.ts';

/** Spin's label rule: letters, digits, `_` and `-`. */
const LABEL = /^[A-Za-z0-9_-]+$/;

export const keyValue: Capability<AppStores> = {
  name: 'key-value',
  componentKeys: ['key_value_stores'],
  runtimeConfigTables: [KEY_VALUE_TABLE],
  validate({ checker, component, path, spot }) {
    const key = 'key_value_stores';
    const labels = checker.stringArray(component, key, path, spot, `${key} = ["${DEFAULT_LABEL}"]`);
    labels.forEach((label, index) => {
      if (!LABEL.test(label))
        checker.report(
          [...path, key, index],
          `invalid key-value store label "${label}" in ${spot}`,
          'use letters, digits, "_" and "-", e.g. "default" or "cache"',
        );
    });
    return labels.length > 0 ? { keyValueStores: labels } : {};
  },
  configure: (app, config) => AppStores.configure(app, config),
  prepare(spec: ComponentSpec, stores: AppStores) {
    const labels = spec.keyValueStores ?? [];
    for (const label of labels) {
      if (stores.has(label)) continue;
      const near = closestMatch(label, stores.labels);
      throw new CapabilityConfigError(
        `component "${spec.id}" lists key-value store "${label}", which is not configured${near ? `; did you mean "${near}"?` : ''} (stores: ${stores.labels.map((l) => `"${l}"`).join(', ')}); define it in the runtime config as [${KEY_VALUE_TABLE}.${label}] with type = "sqlite", "redis" or "nats"`,
      );
    }
    // Nothing in them is the instance's own (the stores are the app's), so every instance of the
    // component shares one set: none is built on the request path.
    let host: InstanceHost | undefined;
    return {
      instance: ({ log }) => {
        if (!host) {
          const access = new StoreAccess(labels, stores, log, spec.id);
          host = { imports: { ...wasiKeyValueImports(access), ...spinKeyValueImports(access) } };
        }
        return host;
      },
    };
  },
  close: (stores) => stores.close(),
  interfaces: [
    ...['store', 'atomics', 'batch'].map((i) => ({
      name: `wasi:keyvalue/${i}`,
      versions: [/^0\.2\.0-draft2$/],
    })),
    { name: 'fermyon:spin/key-value', versions: [/^2\.0\.0$/] },
    { name: 'spin:key-value/key-value', versions: [/^3\.0\.0$/] },
  ],
  suspendingImports: [...WASI_KEY_VALUE_SUSPENDING, ...SPIN_KEY_VALUE_SUSPENDING],
};
