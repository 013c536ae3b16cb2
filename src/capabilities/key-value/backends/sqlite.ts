/**
 * The embedded default: one SQLite file (`path`) holding every store of the apps configured on it,
 * one row per (app, label, key). `node:sqlite` is synchronous; each call here is one short
 * statement or transaction, so it blocks the event loop for microseconds, not for I/O waits
 * (except when another process holds the write lock: see `busy_timeout`).
 *
 *   [key_value_store.default]
 *   type = "sqlite"
 *   path = ".skiff/key-value.sqlite"     # relative to the manifest's folder
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  type BackendContext,
  type CasTicket,
  type KeyValueBackend,
  type KeyValueBackendType,
  KeyValueError,
  type KeyValueStore,
} from '../backend.ts';
import {
  addCounter,
  checkDelta,
  checkEntries,
  checkKey,
  checkValue,
  describeStore,
  encodeCounter,
  failure,
  filePath,
  PAGE_SIZE,
  parseCounter,
} from './shared.ts';

/**
 * How long a writer waits for another process' write lock (node cluster workers share the file)
 * before failing with SQLITE_BUSY. Writes are single short transactions, so a wait is short too.
 */
const BUSY_TIMEOUT_MS = 5000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv (
    app   TEXT NOT NULL,
    label TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (app, label, key)
  )`;
// A rowid table rather than WITHOUT ROWID: values up to 1 MiB would bloat the interior pages of a
// WITHOUT ROWID b-tree, which stores whole rows there.

class SqliteFile {
  readonly db: DatabaseSync;
  readonly get: StatementSync;
  readonly upsert: StatementSync;
  readonly insertNew: StatementSync;
  readonly replaceIf: StatementSync;
  readonly remove: StatementSync;
  readonly list: StatementSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    const where = 'app = ? AND label = ? AND key = ?';
    this.get = db.prepare(`SELECT value FROM kv WHERE ${where}`);
    this.upsert = db.prepare(
      'INSERT INTO kv (app, label, key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
    );
    this.insertNew = db.prepare(
      'INSERT INTO kv (app, label, key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.replaceIf = db.prepare(`UPDATE kv SET value = ? WHERE ${where} AND value = ?`);
    this.remove = db.prepare(`DELETE FROM kv WHERE ${where}`);
    this.list = db.prepare('SELECT key FROM kv WHERE app = ? AND label = ? AND key > ? ORDER BY key LIMIT ?');
  }

  /** `body` in one transaction; IMMEDIATE takes the write lock up front (waiting up to the busy timeout). */
  transaction<T>(mode: 'DEFERRED' | 'IMMEDIATE', body: () => T): T {
    this.db.exec(`BEGIN ${mode}`);
    try {
      const result = body();
      this.db.exec('COMMIT');
      return result;
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }
}

async function openFile(path: string): Promise<SqliteFile> {
  const { DatabaseSync } = await import('node:sqlite');
  mkdirSync(dirname(path), { recursive: true });
  // The busy timeout is set before anything else: switching to WAL and creating the table take
  // locks too, and several workers open the file at the same moment.
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    // WAL + NORMAL: a commit is in the WAL file (the OS' page cache) before the call returns, so a
    // `kill -9` of the host loses nothing acknowledged; only an OS crash or power loss can lose the
    // last commits (never corrupt the file). FULL would fsync on every commit: a disk flush per
    // `set`, for a guarantee a host process crash does not need.
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec(SCHEMA);
    return new SqliteFile(db);
  } catch (e) {
    db.close();
    throw e;
  }
}

/** The value exactly as `current` read it; `swap` compares bytes with what is stored. */
class SqliteTicket implements CasTicket {
  readonly value: Uint8Array | undefined;
  readonly key: string;
  readonly file: SqliteFile;
  constructor(file: SqliteFile, key: string, value: Uint8Array | undefined) {
    this.file = file;
    this.key = key;
    this.value = value;
  }
}

class SqliteStore implements KeyValueStore {
  readonly #file: () => SqliteFile;
  readonly #app: string;
  readonly #label: string;
  readonly #name: string;

  constructor(file: () => SqliteFile, app: string, label: string, path: string) {
    this.#file = file;
    this.#app = app;
    this.#label = label;
    this.#name = describeStore(app, label, `sqlite ${path}`);
  }

  /** Every call: synchronous work, errors named after the store, as a promise. */
  #run<T>(body: (file: SqliteFile) => T): Promise<T> {
    try {
      return Promise.resolve(body(this.#file()));
    } catch (e) {
      return Promise.reject(failure(this.#name, e));
    }
  }

  #read(file: SqliteFile, key: string): Uint8Array | undefined {
    const row = file.get.get(this.#app, this.#label, key);
    return row ? (row.value as Uint8Array) : undefined;
  }

  get(key: string) {
    return this.#run((file) => {
      checkKey(this.#name, key);
      return this.#read(file, key);
    });
  }

  set(key: string, value: Uint8Array) {
    return this.#run((file) => {
      checkKey(this.#name, key);
      checkValue(this.#name, key, value);
      file.upsert.run(this.#app, this.#label, key, value);
    });
  }

  delete(key: string) {
    return this.#run((file) => {
      checkKey(this.#name, key);
      file.remove.run(this.#app, this.#label, key);
    });
  }

  exists(key: string) {
    return this.#run((file) => {
      checkKey(this.#name, key);
      return this.#read(file, key) !== undefined;
    });
  }

  /**
   * Keys in byte order; the cursor is the last key of the page. A key that exists for the whole
   * listing comes exactly once; one written or deleted meanwhile may or may not.
   */
  listKeys(cursor: string | undefined) {
    return this.#run((file) => {
      const rows = file.list.all(this.#app, this.#label, cursor ?? '', PAGE_SIZE);
      const keys = rows.map((row) => row.key as string);
      return { keys, cursor: keys.length === PAGE_SIZE ? keys[keys.length - 1] : undefined };
    });
  }

  increment(key: string, delta: bigint) {
    return this.#run((file) => {
      checkKey(this.#name, key);
      checkDelta(this.#name, delta);
      return file.transaction('IMMEDIATE', () => {
        const next = addCounter(this.#name, key, parseCounter(this.#name, key, this.#read(file, key)), delta);
        file.upsert.run(this.#app, this.#label, key, encodeCounter(next));
        return next;
      });
    });
  }

  current(key: string) {
    return this.#run((file): CasTicket => {
      checkKey(this.#name, key);
      return new SqliteTicket(file, key, this.#read(file, key));
    });
  }

  /** One statement each way: the row still holds the ticket's bytes, or (absent) still is absent. */
  swap(key: string, ticket: CasTicket, value: Uint8Array) {
    return this.#run((file) => {
      checkKey(this.#name, key);
      checkValue(this.#name, key, value);
      if (!(ticket instanceof SqliteTicket) || ticket.file !== file || ticket.key !== key)
        throw new KeyValueError(`${this.#name}: the compare-and-swap ticket is not for key "${key}" here`);
      const { changes } =
        ticket.value === undefined
          ? file.insertNew.run(this.#app, this.#label, key, value)
          : file.replaceIf.run(value, this.#app, this.#label, key, ticket.value);
      return changes === 1;
    });
  }

  getMany(keys: readonly string[]) {
    return this.#run((file) => {
      for (const key of keys) checkKey(this.#name, key);
      // One read transaction: every value from the same snapshot.
      return file.transaction('DEFERRED', () => keys.map((key) => this.#read(file, key)));
    });
  }

  setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>) {
    return this.#run((file) => {
      checkEntries(this.#name, entries);
      file.transaction('IMMEDIATE', () => {
        for (const [key, value] of entries) file.upsert.run(this.#app, this.#label, key, value);
      });
    });
  }

  deleteMany(keys: readonly string[]) {
    return this.#run((file) => {
      for (const key of keys) checkKey(this.#name, key);
      file.transaction('IMMEDIATE', () => {
        for (const key of keys) file.remove.run(this.#app, this.#label, key);
      });
    });
  }
}

class SqliteBackend implements KeyValueBackend {
  readonly #path: string;
  #file: Promise<SqliteFile> | undefined;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  async open(app: string, label: string): Promise<KeyValueStore> {
    const name = describeStore(app, label, `sqlite ${this.#path}`);
    if (this.#closed) throw new KeyValueError(`${name}: the backend is closed`);
    // Opened on first use; a failure (a folder it may not write) is tried again on the next open.
    this.#file ??= openFile(this.#path);
    const pending = this.#file;
    let file: SqliteFile;
    try {
      file = await pending;
    } catch (e) {
      if (this.#file === pending) this.#file = undefined;
      throw new KeyValueError(`${name}: cannot open the database: ${(e as Error).message}`, { cause: e });
    }
    const current = () => {
      if (this.#closed) throw new KeyValueError('the backend is closed');
      return file;
    };
    return new SqliteStore(current, app, label, this.#path);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const file = await this.#file?.catch(() => undefined);
    this.#file = undefined;
    if (file?.db.isOpen) file.db.close();
  }
}

export const sqlite: KeyValueBackendType = {
  keys: ['path'],
  create(config: Record<string, unknown>, context: BackendContext): KeyValueBackend {
    return new SqliteBackend(filePath(config, context, '.skiff/key-value.sqlite'));
  },
};
