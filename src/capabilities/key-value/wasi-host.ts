/**
 * `wasi:keyvalue@0.2.0-draft2` (store, atomics, batch) on the app's stores. Every call that reaches a
 * backend returns a promise: the guest suspends on it (JSPI) while the worker serves others.
 */

import { accessDenied, GuestError, OpenedStore, type StoreAccess } from './access.ts';
import type { CasTicket } from './backend.ts';

class Bucket extends OpenedStore {
  async listKeys(cursor: string | undefined) {
    const page = await this.run((s) => s.listKeys(cursor));
    return { keys: page.keys, cursor: page.cursor };
  }
}

/** A compare-and-swap in progress: what `new` read, to be swapped against. */
class Cas {
  readonly bucket: Bucket;
  readonly key: string;
  readonly ticket: CasTicket;

  constructor(bucket: Bucket, key: string, ticket: CasTicket) {
    this.bucket = bucket;
    this.key = key;
    this.ticket = ticket;
  }

  static async new(bucket: Bucket, key: string): Promise<Cas> {
    return new Cas(bucket, key, await bucket.run((s) => s.current(key)));
  }

  current(): Uint8Array | undefined {
    return this.ticket.value;
  }
}

export function wasiKeyValueImports(access: StoreAccess) {
  return {
    'wasi:keyvalue/store': {
      Bucket,
      async open(identifier: string): Promise<Bucket> {
        const store = await access.open(identifier);
        if (!store) throw accessDenied();
        return new Bucket(store, identifier, access);
      },
    },
    'wasi:keyvalue/atomics': {
      Cas,
      increment: (bucket: Bucket, key: string, delta: bigint) => bucket.run((s) => s.increment(key, delta)),
      async swap(cas: Cas, value: Uint8Array): Promise<void> {
        const { bucket, key } = cas;
        let swapped: boolean;
        try {
          swapped = await bucket.run((s) => s.swap(key, cas.ticket, value));
        } catch (e) {
          throw e instanceof GuestError ? new GuestError({ tag: 'store-error', val: e.payload }) : e;
        }
        // Lost the race: a new CAS on what is there now, for the guest to retry with.
        if (!swapped) throw new GuestError({ tag: 'cas-failed', val: await Cas.new(bucket, key) });
      },
    },
    'wasi:keyvalue/batch': {
      async getMany(bucket: Bucket, keys: string[]) {
        const values = await bucket.run((s) => s.getMany(keys));
        return values.map((value, i) => (value === undefined ? undefined : [keys[i], value]));
      },
      setMany: (bucket: Bucket, entries: Array<[string, Uint8Array]>) =>
        bucket.run((s) => s.setMany(entries)),
      deleteMany: (bucket: Bucket, keys: string[]) => bucket.run((s) => s.deleteMany(keys)),
    },
  };
}

/** The calls above that return a promise (the guest suspends on them). */
export const WASI_KEY_VALUE_SUSPENDING = [
  'wasi:keyvalue/store#open',
  'wasi:keyvalue/store#[method]bucket.get',
  'wasi:keyvalue/store#[method]bucket.set',
  'wasi:keyvalue/store#[method]bucket.delete',
  'wasi:keyvalue/store#[method]bucket.exists',
  'wasi:keyvalue/store#[method]bucket.list-keys',
  'wasi:keyvalue/atomics#[static]cas.new',
  'wasi:keyvalue/atomics#increment',
  'wasi:keyvalue/atomics#swap',
  'wasi:keyvalue/batch#get-many',
  'wasi:keyvalue/batch#set-many',
  'wasi:keyvalue/batch#delete-many',
];
