/**
 * The key-value stores of one served app: each label the runtime config defines (and `default`,
 * which is always there: SQLite under the app's `.skiff/` folder unless configured otherwise) has
 * its backend; a store is opened on first use and shared by every instance of the app's components.
 */
import { join } from 'node:path';
import type { App } from '../../manifest/app.ts';
import { CapabilityConfigError } from '../capability.ts';
import type { RuntimeConfig } from '../runtime-config.ts';
import type { KeyValueBackend, KeyValueStore } from './backend.ts';

/** The runtime config's table of key-value stores: `[key_value_store.<label>]`. */
export const KEY_VALUE_TABLE = 'key_value_store';
export const DEFAULT_LABEL = 'default';

type Backends = Map<string, KeyValueBackend>;

export class AppStores {
  readonly #app: string;
  readonly #backends: Backends;
  readonly #open = new Map<string, Promise<KeyValueStore>>();

  private constructor(app: string, backends: Backends) {
    this.#app = app;
    this.#backends = backends;
  }

  /**
   * Creates the backends the runtime config names, plus the embedded default for `default`. An app
   * that uses no store and configures none loads no backend at all.
   */
  static async configure(
    app: Pick<App, 'name' | 'baseDir' | 'components'>,
    config: RuntimeConfig,
  ): Promise<AppStores> {
    const configured = config.entries(KEY_VALUE_TABLE);
    const used = [...app.components.values()].some((c) => (c.keyValueStores ?? []).length > 0);
    const backends: Backends = new Map();
    if (!used && configured.length === 0) return new AppStores(app.name, backends);
    const { createKeyValueBackend } = await import('./backends/index.ts');
    for (const { label, table, where } of configured) {
      const { type, ...settings } = table;
      if (typeof type !== 'string')
        throw new CapabilityConfigError(
          `${where}: [${KEY_VALUE_TABLE}.${label}] needs type = "sqlite", "redis" or "nats"`,
        );
      backends.set(label, createKeyValueBackend(type, settings, { baseDir: config.baseDir, where }));
    }
    if (!backends.has(DEFAULT_LABEL)) {
      const path = join(app.baseDir, '.skiff', 'key-value.sqlite');
      const where = 'the embedded default';
      backends.set(DEFAULT_LABEL, createKeyValueBackend('sqlite', { path }, { baseDir: app.baseDir, where }));
    }
    return new AppStores(app.name, backends);
  }

  get labels(): string[] {
    return [...this.#backends.keys()];
  }

  has(label: string): boolean {
    return this.#backends.has(label);
  }

  /** The store `label`; opened once, then shared. A failed open is tried again next time. */
  open(label: string): Promise<KeyValueStore> {
    let store = this.#open.get(label);
    if (!store) {
      const backend = this.#backends.get(label);
      if (!backend) return Promise.reject(new Error(`no key-value store "${label}"`));
      store = backend.open(this.#app, label);
      store.catch(() => this.#open.delete(label));
      this.#open.set(label, store);
    }
    return store;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#backends.values()].map((backend) => backend.close()));
  }
}
