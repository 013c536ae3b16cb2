/**
 * Spin's own key-value interface (`fermyon:spin/key-value@2.0.0`, what spin-sdk guests import) on
 * the same stores and access rules as wasi:keyvalue: a Spin guest and a standard one share data.
 */

import { accessDenied, type StoreAccess } from './access.ts';
import type { KeyValueStore } from './backend.ts';

export function spinKeyValueImports(access: StoreAccess) {
  class Store {
    readonly #store: KeyValueStore;
    readonly #label: string;

    constructor(store: KeyValueStore, label: string) {
      this.#store = store;
      this.#label = label;
    }

    static async open(label: string): Promise<Store> {
      const store = await access.open(label);
      if (!store) throw accessDenied();
      return new Store(store, label);
    }

    #run<T>(call: (store: KeyValueStore) => Promise<T>): Promise<T> {
      return access.run(this.#label, () => call(this.#store));
    }

    get(key: string) {
      return this.#run((s) => s.get(key));
    }
    set(key: string, value: Uint8Array) {
      return this.#run((s) => s.set(key, value));
    }
    delete(key: string) {
      return this.#run((s) => s.delete(key));
    }
    exists(key: string) {
      return this.#run((s) => s.exists(key));
    }
    /** Every key: Spin's interface has no cursor, so the pages are gathered here. */
    getKeys() {
      return this.#run(async (s) => {
        const keys: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await s.listKeys(cursor);
          keys.push(...page.keys);
          cursor = page.cursor;
        } while (cursor !== undefined);
        return keys;
      });
    }
  }
  return { 'fermyon:spin/key-value': { Store } };
}

export const SPIN_KEY_VALUE_SUSPENDING = [
  'fermyon:spin/key-value#[static]store.open',
  'fermyon:spin/key-value#[method]store.get',
  'fermyon:spin/key-value#[method]store.set',
  'fermyon:spin/key-value#[method]store.delete',
  'fermyon:spin/key-value#[method]store.exists',
  'fermyon:spin/key-value#[method]store.get-keys',
];
