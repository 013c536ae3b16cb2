/**
 * Spin's own key-value interfaces on the same stores and access rules as wasi:keyvalue, so a Spin
 * guest and a standard one share data: `fermyon:spin/key-value@2.0.0` (spin-sdk 3–5) and
 * `spin:key-value/key-value@3.0.0` (spin-sdk 7, Spin 4: `async func`s, keys as a stream).
 */
import { HostFuture, HostStream } from '../../engine/binding/canonical-abi/streams.ts';
import { accessDenied, GuestError, OpenedStore, type StoreAccess } from './access.ts';
import type { KeyValueStore } from './backend.ts';

export function spinKeyValueImports(access: StoreAccess) {
  async function opened<T extends OpenedStore>(label: string, make: (store: KeyValueStore) => T): Promise<T> {
    const store = await access.open(label);
    if (!store) throw accessDenied();
    return make(store);
  }

  class StoreV2 extends OpenedStore {
    static open(label: string): Promise<StoreV2> {
      return opened(label, (store) => new StoreV2(store, label, access));
    }

    /** Every key: this version has no cursor, so the pages are gathered here. */
    getKeys() {
      return this.run(async (s) => {
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

  class StoreV3 extends OpenedStore {
    static open(label: string): Promise<StoreV3> {
      return opened(label, (store) => new StoreV3(store, label, access));
    }

    /** The keys as a stream, a page at a time, and a future of how the listing ended. */
    getKeys(): [HostStream, HostFuture] {
      const ended = Promise.withResolvers<unknown>();
      let cursor: string | undefined;
      let started = false;
      const stream = new HostStream(
        async () => {
          while (!started || cursor !== undefined) {
            started = true;
            try {
              const page = await this.run((s) => s.listKeys(cursor));
              cursor = page.cursor;
              if (page.keys.length > 0) return page.keys;
            } catch (e) {
              ended.resolve({
                tag: 'err',
                val: e instanceof GuestError ? e.payload : { tag: 'other', val: String(e) },
              });
              return undefined;
            }
          }
          ended.resolve({ tag: 'ok' });
          return undefined;
        },
        // The guest stopped reading early: no error.
        () => ended.resolve({ tag: 'ok' }),
      );
      return [stream, new HostFuture(ended.promise)];
    }
  }

  return {
    'fermyon:spin/key-value': { Store: StoreV2 },
    'spin:key-value/key-value': { Store: StoreV3 },
  };
}

/** The 2.0.0 calls a guest suspends on (3.0.0's are `async func`s: the binder knows them). */
export const SPIN_KEY_VALUE_SUSPENDING = [
  'fermyon:spin/key-value#[static]store.open',
  'fermyon:spin/key-value#[method]store.get',
  'fermyon:spin/key-value#[method]store.set',
  'fermyon:spin/key-value#[method]store.delete',
  'fermyon:spin/key-value#[method]store.exists',
  'fermyon:spin/key-value#[method]store.get-keys',
];
