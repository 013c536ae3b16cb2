/**
 * Stores in NATS JetStream KV (`@nats-io/kv`): one bucket per (app, label), one connection per
 * backend shared by its stores.
 *
 *   [key_value_store.shared]
 *   type = "nats"
 *   url = "nats://127.0.0.1:4222"       # tls:// for TLS; user:password@ as NATS URLs have
 *
 * Names. A bucket is `skiff-<app>-<label>`, each part with every byte outside [A-Za-z0-9] written
 * `_hh` (hex), so no two (app, label) pairs share one. A key that is all [A-Za-z0-9_/-] is stored
 * as itself (readable with the `nats` CLI); any other is `=` + base64url of its UTF-8 bytes (`=`
 * never starts a plain key), which keeps every UTF-8 key within NATS' key alphabet and out of its
 * `.`/`*`/`>` subject syntax. A 1 KiB key encodes to 1.4 KiB, well within a subject's limit.
 *
 * Buckets keep one revision per key (history 1): `delete` writes a tombstone, which `get`, `exists`
 * and `listKeys` read as absent; a compare-and-swap ticket holds the revision it read, tombstone or
 * none (0), so JetStream itself refuses a swap after any write in between.
 *
 * A write resolves once JetStream acknowledged it (stored on the server, as its storage promises).
 * Sizes: a value up to MAX_VALUE_BYTES fits a server's default max_payload (1 MiB) for `set`; a
 * compare-and-swap or increment adds a header, so a value within ~100 bytes of that limit needs a
 * larger max_payload there, and fails with a KeyValueError saying so otherwise.
 *
 * When the server goes away, calls fail at once with a KeyValueError naming the store and the
 * server while the client reconnects in the background; the same stores work once it is back.
 */
import { createHash } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
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
  KeyedQueue,
  PAGE_SIZE,
  parseCounter,
  redactUrl,
  serverUrl,
  shortKey,
} from './shared.ts';

/**
 * How long connecting may take, and how long a JetStream call waits for its answer: as long as
 * Redis's, well inside a request's 30 s, and past the seconds a busy machine can delay a publish ack
 * under a burst of compare-and-swap retries (3 s was seen to fail there).
 */
const CONNECT_WAIT_MS = 3000;
const CALL_TIMEOUT_MS = 5000;
const RECONNECT_WAIT_MS = 500;
/** An increment losing the race this long to writers of other processes gives up. */
const INCREMENT_BUDGET_MS = 5000;
/** JetStream's "wrong last sequence" answers: another write came first. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);
const MAX_BUCKET_NAME = 200;

const PLAIN_KEY = /^[A-Za-z0-9_/-]+$/;

export function encodeNatsKey(key: string): string {
  return PLAIN_KEY.test(key) ? key : `=${Buffer.from(key, 'utf8').toString('base64url')}`;
}

export function decodeNatsKey(stored: string): string {
  return stored.startsWith('=') ? Buffer.from(stored.slice(1), 'base64url').toString('utf8') : stored;
}

export function bucketName(app: string, label: string): string {
  const part = (s: string) =>
    [...Buffer.from(s, 'utf8')]
      .map((b) =>
        /[A-Za-z0-9]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : `_${b.toString(16).padStart(2, '0')}`,
      )
      .join('');
  const name = `skiff-${part(app)}-${part(label)}`;
  if (name.length <= MAX_BUCKET_NAME) return name;
  // Stream names have a length limit; a very long app name keeps a readable start and a digest.
  return `${name.slice(0, MAX_BUCKET_NAME - 41)}_${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

const isWrongSequence = (e: unknown) =>
  typeof (e as { code?: unknown })?.code === 'number' &&
  WRONG_LAST_SEQUENCE.has((e as { code: number }).code);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class NatsConnectionState {
  readonly url: URL;
  readonly server: string;
  #connection: Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> | undefined;
  #up = false;
  #lastError = 'not connected yet';
  #closed = false;

  constructor(url: URL) {
    this.url = url;
    this.server = redactUrl(url);
  }

  /** The connection, made on first use; a failed first connect is tried again next time. */
  async connect(name: string) {
    if (this.#closed) throw new KeyValueError(`${name}: the backend is closed`);
    this.#connection ??= this.#dial();
    const pending = this.#connection;
    try {
      return await pending;
    } catch (e) {
      if (this.#connection === pending) this.#connection = undefined;
      if (e instanceof KeyValueError) throw new KeyValueError(`${name}: ${e.message}`, { cause: e });
      this.#lastError = (e as Error).message;
      throw this.unreachable(name);
    }
  }

  async #dial() {
    const [{ connect }, { jetstream, jetstreamManager }] = await Promise.all([
      import('@nats-io/transport-node'),
      import('@nats-io/jetstream'),
    ]);
    const nc = await connect({
      servers: this.url.href,
      name: 'skiff',
      timeout: CONNECT_WAIT_MS,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
    });
    this.#up = true;
    void this.#watch(nc);
    const js = jetstream(nc, { timeout: CALL_TIMEOUT_MS });
    try {
      // Asks the server for its JetStream account: a server without -js fails here, not later.
      const jsm = await jetstreamManager(nc, { timeout: CALL_TIMEOUT_MS });
      return { nc, js, jsm };
    } catch (e) {
      await nc.close();
      throw new KeyValueError(`JetStream is not available on the server: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Follows the connection's state, so calls fail at once while it reconnects. */
  async #watch(nc: NatsConnection) {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#up = false;
        this.#lastError = 'disconnected, reconnecting';
      } else if (status.type === 'reconnect') this.#up = true;
      else if (status.type === 'error') this.#lastError = status.error.message;
      else if (status.type === 'close') this.#up = false;
    }
  }

  unreachable(name: string): KeyValueError {
    return new KeyValueError(`${name}: the server is unreachable (${this.#lastError})`);
  }

  /** One call; fails at once while disconnected; errors name the store. */
  async call<T>(name: string, body: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new KeyValueError(`${name}: the backend is closed`);
    if (!this.#up) throw this.unreachable(name);
    try {
      return await body();
    } catch (e) {
      if (e instanceof KeyValueError || isWrongSequence(e)) throw e;
      if (!this.#up) throw this.unreachable(name);
      if ((e as Error)?.name === 'TimeoutError')
        throw new KeyValueError(`${name}: the server did not answer in ${CALL_TIMEOUT_MS} ms`, {
          cause: e,
        });
      if (/max_payload/.test((e as Error)?.message ?? ''))
        throw new KeyValueError(
          `${name}: the value with its headers is larger than the server accepts (its max_payload); raise max_payload in its configuration`,
          { cause: e },
        );
      throw failure(name, e);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = await this.#connection?.catch(() => undefined);
    this.#connection = undefined;
    await connection?.nc.close();
  }
}

/** What `current` read: the value, and the revision a swap must still find (0: no entry at all). */
class NatsTicket implements CasTicket {
  readonly value: Uint8Array | undefined;
  readonly key: string;
  readonly revision: number;
  readonly kv: KV;
  constructor(kv: KV, key: string, revision: number, value: Uint8Array | undefined) {
    this.kv = kv;
    this.key = key;
    this.revision = revision;
    this.value = value;
  }
}

/** A live value, or undefined for no entry or a tombstone. */
const liveValue = (entry: KvEntry | null) => (entry?.operation === 'PUT' ? entry.value : undefined);

class NatsStore implements KeyValueStore {
  readonly #nats: NatsConnectionState;
  readonly #kv: KV;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #subjectPrefix: string;
  readonly #name: string;
  readonly #increments = new KeyedQueue();

  constructor(
    nats: NatsConnectionState,
    connection: { js: JetStreamClient; jsm: JetStreamManager },
    kv: KV,
    bucket: string,
    name: string,
  ) {
    this.#nats = nats;
    this.#kv = kv;
    this.#js = connection.js;
    this.#jsm = connection.jsm;
    this.#stream = `KV_${bucket}`;
    this.#subjectPrefix = `$KV.${bucket}.`;
    this.#name = name;
  }

  #call<T>(body: () => Promise<T>): Promise<T> {
    return this.#nats.call(this.#name, body);
  }

  #key(key: string): string {
    checkKey(this.#name, key);
    return encodeNatsKey(key);
  }

  async get(key: string) {
    const k = this.#key(key);
    return liveValue(await this.#call(() => this.#kv.get(k)));
  }

  async set(key: string, value: Uint8Array) {
    const k = this.#key(key);
    checkValue(this.#name, key, value);
    await this.#call(() => this.#kv.put(k, value));
  }

  async delete(key: string) {
    const k = this.#key(key);
    await this.#call(() => this.#kv.delete(k));
  }

  async exists(key: string) {
    return (await this.get(key)) !== undefined;
  }

  /**
   * JetStream's `keys()` has no cursor, so pages come from a short-lived consumer reading the
   * bucket's stream from a sequence number, headers only: with history 1 the stream holds exactly
   * one message per key, its latest write, in the order of those writes. The cursor is the stream
   * sequence to go on from. A key that exists for the whole listing comes at least once; one
   * rewritten after its page moves to the end of the stream and comes again later (as Redis' SCAN
   * may), never twice in one page. Tombstones are skipped, so a page may hold fewer than
   * PAGE_SIZE keys and still have a cursor; only an absent cursor means the end.
   */
  async listKeys(cursor: string | undefined) {
    if (cursor !== undefined && !/^[1-9][0-9]*$/.test(cursor))
      throw new KeyValueError(`${this.#name}: "${cursor}" is not a cursor this store returned`);
    const start = cursor === undefined ? 1 : Number(cursor);
    return this.#call(async () => {
      const info = await this.#jsm.consumers.add(this.#stream, {
        ack_policy: 'none',
        deliver_policy: 'by_start_sequence',
        opt_start_seq: start,
        filter_subject: `${this.#subjectPrefix}>`,
        headers_only: true,
        mem_storage: true,
        num_replicas: 1,
        inactive_threshold: 30e9, // ns: the server removes it even if our delete is lost
      });
      try {
        if (info.num_pending === 0) return { keys: [], cursor: undefined };
        const consumer = this.#js.consumers.getConsumerFromInfo(info);
        const messages = await consumer.fetch({
          max_messages: Math.min(PAGE_SIZE, info.num_pending),
          expires: CALL_TIMEOUT_MS,
        });
        const keys = new Set<string>();
        let next = start;
        let more = true;
        for await (const m of messages) {
          next = m.seq + 1;
          const op = m.headers?.get('KV-Operation');
          if (op !== 'DEL' && op !== 'PURGE')
            keys.add(decodeNatsKey(m.subject.slice(this.#subjectPrefix.length)));
          if (m.info.pending === 0) {
            more = false;
            break;
          }
        }
        return { keys: [...keys], cursor: more ? String(next) : undefined };
      } finally {
        this.#jsm.consumers.delete(this.#stream, info.name).catch(() => {});
      }
    });
  }

  /**
   * Read, add, write back at the revision read; another writer in between makes JetStream refuse
   * the write, and it goes round again. Callers in this process queue per key instead of racing.
   */
  async increment(key: string, delta: bigint) {
    const k = this.#key(key);
    checkDelta(this.#name, delta);
    return this.#increments.run(k, async () => {
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        const entry = await this.#call(() => this.#kv.get(k));
        const next = addCounter(this.#name, key, parseCounter(this.#name, key, liveValue(entry)), delta);
        try {
          await this.#call(() => this.#kv.put(k, encodeCounter(next), { previousSeq: entry?.revision ?? 0 }));
          return next;
        } catch (e) {
          if (!isWrongSequence(e)) throw failure(this.#name, e);
          if (performance.now() - started > INCREMENT_BUDGET_MS)
            throw new KeyValueError(
              `${this.#name}: increment of key "${shortKey(key)}" lost to other writers ${attempt} times in ${INCREMENT_BUDGET_MS} ms`,
            );
          await sleep(Math.random() * Math.min(attempt, 20));
        }
      }
    });
  }

  async current(key: string): Promise<CasTicket> {
    const k = this.#key(key);
    const entry = await this.#call(() => this.#kv.get(k));
    return new NatsTicket(this.#kv, key, entry?.revision ?? 0, liveValue(entry));
  }

  async swap(key: string, ticket: CasTicket, value: Uint8Array) {
    const k = this.#key(key);
    checkValue(this.#name, key, value);
    if (!(ticket instanceof NatsTicket) || ticket.kv !== this.#kv || ticket.key !== key)
      throw new KeyValueError(`${this.#name}: the compare-and-swap ticket is not for key "${key}" here`);
    try {
      await this.#call(() => this.#kv.put(k, value, { previousSeq: ticket.revision }));
      return true;
    } catch (e) {
      if (isWrongSequence(e)) return false;
      throw failure(this.#name, e);
    }
  }

  async getMany(keys: readonly string[]) {
    const encoded = keys.map((key) => this.#key(key));
    return Promise.all(encoded.map(async (k) => liveValue(await this.#call(() => this.#kv.get(k)))));
  }

  /** One write per key, all in flight together: NATS KV has no multi-key write. */
  async setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>) {
    checkEntries(this.#name, entries);
    await Promise.all(
      entries.map(([key, value]) => this.#call(() => this.#kv.put(encodeNatsKey(key), value))),
    );
  }

  async deleteMany(keys: readonly string[]) {
    const encoded = keys.map((key) => this.#key(key));
    await Promise.all(encoded.map((k) => this.#call(() => this.#kv.delete(k))));
  }
}

class NatsBackend implements KeyValueBackend {
  readonly #nats: NatsConnectionState;

  constructor(url: URL) {
    this.#nats = new NatsConnectionState(url);
  }

  async open(app: string, label: string): Promise<KeyValueStore> {
    const name = describeStore(app, label, `nats ${this.#nats.server}`);
    const connection = await this.#nats.connect(name);
    const bucket = bucketName(app, label);
    const { Kvm } = await import('@nats-io/kv');
    const kv = await this.#nats.call(name, () =>
      new Kvm(connection.js).create(bucket, { history: 1, timeout: CALL_TIMEOUT_MS }),
    );
    const status = await this.#nats.call(name, () => kv.status());
    // listKeys reads the stream as one message per key; a bucket made elsewhere with more history
    // would list old revisions (and deleted keys) too.
    if (status.history !== 1)
      throw new KeyValueError(
        `${name}: bucket "${bucket}" keeps ${status.history} revisions per key; Skiff needs a bucket with history 1`,
      );
    return new NatsStore(this.#nats, connection, kv, bucket, name);
  }

  close(): Promise<void> {
    return this.#nats.close();
  }
}

export const nats: KeyValueBackendType = {
  keys: ['url'],
  create(config: Record<string, unknown>, context: BackendContext): KeyValueBackend {
    return new NatsBackend(serverUrl(config, context, 'nats', ['nats:', 'tls:']));
  },
};
