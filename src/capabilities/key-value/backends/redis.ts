/**
 * Stores in a Redis server (the `redis` client, one connection per backend, shared by every store
 * opened from it).
 *
 *   [key_value_store.cache]
 *   type = "redis"
 *   url = "redis://127.0.0.1:6379"      # rediss:// for TLS; user, password and /db as Redis URLs have
 *
 * Each store's keys live under `skiff:<app>:<label>:` with app and label percent-encoded (so they
 * hold no `:`), which keeps `a:b` + `c` apart from `a` + `b:c`. Durability is the server's: what
 * its RDB/AOF settings promise.
 *
 * When the server goes away, calls fail at once with a KeyValueError naming the store and the
 * server (no offline queue: a guest waiting on a dead server would hold its request for nothing)
 * while the client reconnects in the background with a capped backoff; once it is back, the same
 * stores work again.
 */
import { createHash } from 'node:crypto';
import type { RedisClientType } from 'redis';
import {
  type BackendContext,
  type CasTicket,
  type KeyValueBackend,
  type KeyValueBackendType,
  KeyValueError,
  type KeyValueStore,
} from '../backend.ts';
import {
  checkDelta,
  checkEntries,
  checkKey,
  checkValue,
  describeStore,
  failure,
  PAGE_SIZE,
  redactUrl,
  serverUrl,
} from './shared.ts';

/** How long `open` waits for the first connection; calls on a connected client need no wait. */
const CONNECT_WAIT_MS = 3000;
/** A call the server does not answer (a hung, not a dead, server) fails after this. */
const CALL_TIMEOUT_MS = 5000;
/** Reconnect backoff: 50 ms doubling to 2 s, with jitter so many hosts do not retry in step. */
const reconnectDelay = (retries: number) =>
  Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);
/** SCAN calls per `listKeys` at most, so one page stays one short wait even on a large server. */
const SCANS_PER_PAGE = 10;

/** RESP type codes (`RESP_TYPES` of the client), as the reply type mappings need them. */
const BLOB_STRING = 36;
const NUMBER = 58;
/** Values as bytes, not as UTF-8 strings. */
const BYTES = { typeMapping: { [BLOB_STRING]: Buffer } };
/** Integers as their decimal text, so an INCRBY result beyond 2^53 stays exact. */
const EXACT = { typeMapping: { [NUMBER]: String } };

/**
 * Compare-and-swap in one script: writes ARGV[3] only if the key still holds ARGV[2] (ARGV[1] is
 * "1") or is still absent (ARGV[1] is "0").
 */
const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1`;
const CAS_SHA = createHash('sha1').update(CAS_SCRIPT).digest('hex');

type Client = RedisClientType;

class RedisConnection {
  readonly url: URL;
  readonly server: string;
  #client: Client | undefined;
  #lastError = 'not connected yet';
  #closed = false;

  constructor(url: URL) {
    this.url = url;
    this.server = redactUrl(url);
  }

  /** Starts the connection once; resolves when it is ready, throws when an attempt fails or takes CONNECT_WAIT_MS. */
  async ready(name: string): Promise<void> {
    if (this.#closed) throw new KeyValueError(`${name}: the backend is closed`);
    if (!this.#client) {
      const { createClient } = await import('redis');
      if (this.#client || this.#closed) return this.ready(name);
      const client = createClient({
        url: this.url.href,
        disableOfflineQueue: true,
        socket: { connectTimeout: CONNECT_WAIT_MS, reconnectStrategy: reconnectDelay },
      }) as unknown as Client;
      // Without a listener an 'error' event would crash the host; the last one explains failures.
      client.on('error', (e: Error) => {
        this.#lastError = e.message || e.name;
      });
      this.#client = client;
      // Resolves once connected; until then the client keeps retrying in the background.
      client.connect().catch((e: Error) => {
        this.#lastError = e.message;
      });
    }
    if (this.#client.isReady) return;
    // Ready, or the next failed attempt (refused, timed out): no use waiting longer for this call;
    // the client goes on reconnecting in the background for the next one.
    const client = this.#client;
    let settle = () => {};
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CONNECT_WAIT_MS);
      settle = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', settle);
      client.once('error', settle);
    });
    client.off('ready', settle);
    client.off('error', settle);
    if (this.#closed) throw new KeyValueError(`${name}: the backend is closed`);
    if (!client.isReady) throw this.unreachable(name);
  }

  unreachable(name: string): KeyValueError {
    return new KeyValueError(`${name}: the server is unreachable (${this.#lastError})`);
  }

  /** One command; fails at once while disconnected, and after CALL_TIMEOUT_MS without an answer. */
  async send<T>(name: string, args: Array<string | Buffer>, options?: object): Promise<T> {
    const client = this.#client;
    if (this.#closed || !client) throw new KeyValueError(`${name}: the backend is closed`);
    if (!client.isReady) throw this.unreachable(name);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        client.sendCommand<T>(args, options),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new KeyValueError(`${name}: the server did not answer in ${CALL_TIMEOUT_MS} ms`)),
            CALL_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (e) {
      // The socket closed under the call, or the client went offline between the check and the call.
      if (!client.isReady && !(e instanceof KeyValueError)) throw this.unreachable(name);
      throw failure(name, e);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // A graceful QUIT needs the server; without it, drop the socket and stop reconnecting.
    if (client.isReady) await client.close().catch(() => client.destroy());
    else client.destroy();
  }
}

/** What `current` read, to compare with in the script; the key it was for. */
class RedisTicket implements CasTicket {
  readonly value: Uint8Array | undefined;
  readonly key: string;
  readonly connection: RedisConnection;
  constructor(connection: RedisConnection, key: string, value: Uint8Array | undefined) {
    this.connection = connection;
    this.key = key;
    this.value = value;
  }
}

/** A SCAN MATCH pattern matching `prefix` literally. */
const globLiteral = (prefix: string) => prefix.replace(/[*?[\]\\]/g, '\\$&');

class RedisStore implements KeyValueStore {
  readonly #redis: RedisConnection;
  readonly #name: string;
  readonly #prefix: string;

  constructor(redis: RedisConnection, app: string, label: string) {
    this.#redis = redis;
    this.#name = describeStore(app, label, `redis ${redis.server}`);
    this.#prefix = `skiff:${encodeURIComponent(app)}:${encodeURIComponent(label)}:`;
  }

  #key(key: string): string {
    checkKey(this.#name, key);
    return this.#prefix + key;
  }

  #send<T>(args: Array<string | Buffer>, options?: object): Promise<T> {
    return this.#redis.send<T>(this.#name, args, options);
  }

  async get(key: string) {
    const value = await this.#send<Buffer | null>(['GET', this.#key(key)], BYTES);
    return value ?? undefined;
  }

  async set(key: string, value: Uint8Array) {
    checkValue(this.#name, key, value);
    await this.#send(['SET', this.#key(key), asBuffer(value)]);
  }

  async delete(key: string) {
    await this.#send(['DEL', this.#key(key)]);
  }

  async exists(key: string) {
    return (await this.#send<number>(['EXISTS', this.#key(key)])) === 1;
  }

  /**
   * SCAN over this store's prefix; the cursor is Redis' own. As SCAN promises, a key that exists
   * for the whole listing comes at least once; it may come again on a later page (Redis rehashing
   * meanwhile), never twice in one page. A page may hold fewer than PAGE_SIZE keys, even none,
   * and still have a cursor: only an absent cursor means the end.
   */
  async listKeys(cursor: string | undefined) {
    if (cursor !== undefined && !/^[0-9]+$/.test(cursor))
      throw new KeyValueError(`${this.#name}: "${cursor}" is not a cursor this store returned`);
    const pattern = `${globLiteral(this.#prefix)}*`;
    const keys = new Set<string>();
    let next = cursor ?? '0';
    for (let scans = 0; scans < SCANS_PER_PAGE; scans++) {
      const [after, found] = await this.#send<[string, string[]]>([
        'SCAN',
        next,
        'MATCH',
        pattern,
        'COUNT',
        String(PAGE_SIZE),
      ]);
      for (const key of found) keys.add(key.slice(this.#prefix.length));
      next = after;
      if (next === '0' || keys.size >= PAGE_SIZE) break;
    }
    return { keys: [...keys], cursor: next === '0' ? undefined : next };
  }

  async increment(key: string, delta: bigint) {
    checkDelta(this.#name, delta);
    const value = await this.#send<string>(['INCRBY', this.#key(key), delta.toString()], EXACT);
    return BigInt(value);
  }

  async current(key: string): Promise<CasTicket> {
    return new RedisTicket(this.#redis, key, await this.get(key));
  }

  /**
   * Compares values, not versions: the swap succeeds if the key holds, at the moment of the swap,
   * exactly the bytes `current` read (or is still absent).
   */
  async swap(key: string, ticket: CasTicket, value: Uint8Array) {
    checkValue(this.#name, key, value);
    if (!(ticket instanceof RedisTicket) || ticket.connection !== this.#redis || ticket.key !== key)
      throw new KeyValueError(`${this.#name}: the compare-and-swap ticket is not for key "${key}" here`);
    const expected = ticket.value === undefined ? Buffer.alloc(0) : asBuffer(ticket.value);
    const args = [this.#key(key), ticket.value === undefined ? '0' : '1', expected, asBuffer(value)];
    let swapped: number;
    try {
      swapped = await this.#send<number>(['EVALSHA', CAS_SHA, '1', ...args]);
    } catch (e) {
      if (!(e instanceof KeyValueError) || !/NOSCRIPT/.test(e.message)) throw e;
      // First use on this server (or after a restart): send the script itself, which caches it.
      swapped = await this.#send<number>(['EVAL', CAS_SCRIPT, '1', ...args]);
    }
    return swapped === 1;
  }

  async getMany(keys: readonly string[]) {
    if (keys.length === 0) return [];
    const values = await this.#send<Array<Buffer | null>>(['MGET', ...keys.map((k) => this.#key(k))], BYTES);
    return values.map((v) => v ?? undefined);
  }

  async setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>) {
    checkEntries(this.#name, entries);
    if (entries.length === 0) return;
    await this.#send(['MSET', ...entries.flatMap(([k, v]) => [this.#key(k), asBuffer(v)])]);
  }

  async deleteMany(keys: readonly string[]) {
    if (keys.length === 0) return;
    await this.#send(['DEL', ...keys.map((k) => this.#key(k))]);
  }
}

/** A Buffer over the same bytes (no copy), as the client sends binary arguments. */
const asBuffer = (value: Uint8Array) =>
  Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);

class RedisBackend implements KeyValueBackend {
  readonly #redis: RedisConnection;

  constructor(url: URL) {
    this.#redis = new RedisConnection(url);
  }

  async open(app: string, label: string): Promise<KeyValueStore> {
    await this.#redis.ready(describeStore(app, label, `redis ${this.#redis.server}`));
    return new RedisStore(this.#redis, app, label);
  }

  close(): Promise<void> {
    return this.#redis.close();
  }
}

export const redis: KeyValueBackendType = {
  keys: ['url'],
  create(config: Record<string, unknown>, context: BackendContext): KeyValueBackend {
    return new RedisBackend(serverUrl(config, context, 'redis', ['redis:', 'rediss:']));
  },
};
