/**
 * What one component may do with key-value stores: open the labels its manifest lists
 * (`key_value_stores`), nothing else. Shared by the wasi:keyvalue and the Spin host interfaces, so
 * both answer the same way: access-denied for an unlisted label, `other(message)` when the
 * backend fails (with a host log line naming the store).
 */
import { keyValueTracing } from '../../observability/events.ts';
import { KeyValueError, type KeyValueStore } from './backend.ts';
import type { AppStores } from './stores.ts';

/** Thrown to the binder: the guest gets the interface's `err` case. */
export class GuestError {
  readonly payload: unknown;
  constructor(payload: unknown) {
    this.payload = payload;
  }
}

export const accessDenied = () => new GuestError({ tag: 'access-denied' });

export class StoreAccess {
  readonly #allowed: ReadonlySet<string>;
  readonly #stores: AppStores;
  readonly #log: (message: string) => void;
  /** The component whose guest calls, as observers are told (events.ts). */
  readonly component: string;

  constructor(allowed: readonly string[], stores: AppStores, log: (message: string) => void, component = '') {
    this.#allowed = new Set(allowed);
    this.#stores = stores;
    this.#log = log;
    this.component = component;
  }

  /** The store `label`, or undefined when the component may not open it. */
  async open(label: string): Promise<KeyValueStore | undefined> {
    if (!this.#allowed.has(label)) {
      this.#log(
        `key-value store "${label}" denied: not in key_value_stores (${[...this.#allowed].map((l) => `"${l}"`).join(', ') || 'none'})`,
      );
      return undefined;
    }
    const open = () => this.#stores.open(label);
    return this.run(
      label,
      keyValueTracing.hasSubscribers
        ? () =>
            keyValueTracing.tracePromise(open, { component: this.component, store: label, operation: 'open' })
        : open,
    );
  }

  /** Runs a backend call; a failure becomes the interface's `other(message)` and a host log line. */
  async run<T>(label: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (e instanceof GuestError) throw e;
      const message =
        e instanceof KeyValueError
          ? e.message
          : `key-value store "${label}" failed: ${(e as Error)?.message ?? e}`;
      this.#log(message);
      throw new GuestError({ tag: 'other', val: message });
    }
  }
}

/**
 * A store a guest opened, as both interfaces' resources are: the calls they have in common, each
 * through `access` (errors become the interface's own).
 */
export class OpenedStore {
  readonly store: KeyValueStore;
  readonly label: string;
  readonly access: StoreAccess;

  constructor(store: KeyValueStore, label: string, access: StoreAccess) {
    this.store = store;
    this.label = label;
    this.access = access;
  }

  #traced: KeyValueStore | undefined;

  run<T>(call: (store: KeyValueStore) => Promise<T>): Promise<T> {
    // Observed only while someone listens; the store's own methods otherwise.
    let store = this.store;
    if (keyValueTracing.hasSubscribers) {
      this.#traced ??= this.#tracedStore();
      store = this.#traced;
    }
    return this.access.run(this.label, () => call(store));
  }

  /** The store with each backend call published on keyValueTracing, named as in KEY_VALUE_OPERATIONS. */
  #tracedStore(): KeyValueStore {
    const { store, label } = this;
    const component = this.access.component;
    const traced = {} as Record<string, unknown>;
    for (const [method, operation] of Object.entries(KEY_VALUE_OPERATIONS)) {
      const call = (store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[method];
      if (!call) continue;
      traced[method] = (...args: unknown[]) =>
        keyValueTracing.tracePromise(() => call.apply(store, args), { component, store: label, operation });
    }
    return traced as unknown as KeyValueStore;
  }

  get(key: string) {
    return this.run((s) => s.get(key));
  }
  set(key: string, value: Uint8Array) {
    return this.run((s) => s.set(key, value));
  }
  delete(key: string) {
    return this.run((s) => s.delete(key));
  }
  exists(key: string) {
    return this.run((s) => s.exists(key));
  }
}

/** Each backend call as observers name it: the WIT function it serves (`open` is the store's). */
export const KEY_VALUE_OPERATIONS: Record<keyof KeyValueStore, string> = {
  get: 'get',
  set: 'set',
  delete: 'delete',
  exists: 'exists',
  listKeys: 'list-keys',
  increment: 'increment',
  current: 'cas-current',
  swap: 'cas-swap',
  getMany: 'get-many',
  setMany: 'set-many',
  deleteMany: 'delete-many',
};
