/**
 * What a key-value backend provides: the operations of `wasi:keyvalue@0.2.0-draft2` (store, atomics,
 * batch) on one store of one app. Backends register by the type string a runtime-config file names
 * (`[key_value_store.default] type = "redis"`, backends/index.ts); nothing outside that list knows
 * which exist.
 *
 * Semantics every backend keeps (the shared suite in test/capabilities/key-value-backends.test.ts
 * runs each through the same cases):
 * - Keys are any UTF-8 string of 1 to MAX_KEY_BYTES bytes; values 0 to MAX_VALUE_BYTES bytes.
 *   Longer ones are refused with a KeyValueError before they reach the server.
 * - `increment` keeps a counter as its decimal text (`"42"`), as Redis' INCRBY does, so a guest's
 *   `get` reads it; a missing key counts from 0; a value that is not such a number is an error,
 *   and so is a result outside the signed 64-bit range (Redis' range).
 * - `current` + `swap` are compare-and-swap: the swap succeeds only if the key still holds what
 *   `current` read (still absent, if it was). SQLite and Redis compare the bytes, so a write of the
 *   same bytes in between goes unnoticed; NATS compares the revision, so any write in between
 *   (or a delete) makes the swap fail.
 * - Each (app, label) pair is its own store: no app reads another's data.
 * - A write that resolved is durable as the backend promises (SQLite: committed in WAL mode;
 *   Redis: as its persistence is configured; NATS: acknowledged by JetStream).
 */

export const MAX_KEY_BYTES = 1024;
/** 1 MiB: NATS' default maximum message; the same limit everywhere keeps apps portable. */
export const MAX_VALUE_BYTES = 1024 * 1024;

/** A failure the guest sees as the interface's `error::other(string)`; the message names the store. */
export class KeyValueError extends Error {
  override name = 'KeyValueError';
}

/** What `current` saw, to hand back to `swap`; opaque to everything but the backend that made it. */
export interface CasTicket {
  readonly value: Uint8Array | undefined;
}

export interface KeyValueStore {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** One page of keys after `cursor` (undefined: from the start); `cursor` undefined in the answer: no more. */
  listKeys(cursor: string | undefined): Promise<{ keys: string[]; cursor: string | undefined }>;
  /** Adds `delta` atomically and returns the new value. */
  increment(key: string, delta: bigint): Promise<bigint>;
  /** Reads the key for a later `swap`. */
  current(key: string): Promise<CasTicket>;
  /** Writes `value` if the key is unchanged since `ticket` was taken; false when it changed. */
  swap(key: string, ticket: CasTicket, value: Uint8Array): Promise<boolean>;
  /** In the order of `keys`; undefined for a key that is absent. */
  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
}

/** One configured backend (a SQLite file, a Redis server, a NATS server) serving any number of stores. */
export interface KeyValueBackend {
  /** Opens (creating on first use) the store `label` of app `app`. */
  open(app: string, label: string): Promise<KeyValueStore>;
  /** Releases connections and files; stores opened from it fail afterwards. */
  close(): Promise<void>;
}

/** Where the backend runs for: relative paths resolve against `baseDir` (the manifest's folder). */
export interface BackendContext {
  baseDir: string;
  /** Where the runtime-config table came from, for errors: `runtime-config.toml:3`. */
  where: string;
}

/** A backend type as the runtime-config file names it. */
export interface KeyValueBackendType {
  /** The keys its runtime-config table accepts besides `type`, e.g. `url`. */
  keys: readonly string[];
  /** Throws a KeyValueError naming `context.where` and the key at fault for a bad table. */
  create(config: Record<string, unknown>, context: BackendContext): KeyValueBackend;
}
