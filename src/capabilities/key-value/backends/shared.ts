/**
 * What every backend checks the same way (backend.ts states the rules): key and value sizes, the
 * decimal counters of `increment`, config values, and errors that name the store.
 */
import { isAbsolute, resolve } from 'node:path';
import { type BackendContext, KeyValueError, MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../backend.ts';

/** Keys per `listKeys` page. */
export const PAGE_SIZE = 100;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
/** Redis' rule for an integer value: no sign but `-`, no leading zeros, no spaces. */
const COUNTER = /^(0|-?[1-9][0-9]*)$/;

/** How errors name a store: `key-value store "cache" of app "shop" (redis redis://host:6379)`. */
export function describeStore(app: string, label: string, backend: string): string {
  return `key-value store "${label}" of app "${app}" (${backend})`;
}

export function checkKey(store: string, key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0) throw new KeyValueError(`${store}: a key cannot be empty`);
  if (bytes > MAX_KEY_BYTES)
    throw new KeyValueError(`${store}: key of ${bytes} bytes is longer than ${MAX_KEY_BYTES} bytes`);
}

export function checkValue(store: string, key: string, value: Uint8Array): void {
  if (value.byteLength > MAX_VALUE_BYTES)
    throw new KeyValueError(
      `${store}: value of ${value.byteLength} bytes for key "${shortKey(key)}" is larger than ${MAX_VALUE_BYTES} bytes`,
    );
}

export function checkEntries(store: string, entries: ReadonlyArray<readonly [string, Uint8Array]>): void {
  for (const [key, value] of entries) {
    checkKey(store, key);
    checkValue(store, key, value);
  }
}

/** The counter a stored value holds; absent counts as 0. */
export function parseCounter(store: string, key: string, value: Uint8Array | undefined): bigint {
  if (value === undefined) return 0n;
  const text = value.byteLength <= 20 ? Buffer.from(value).toString('latin1') : '';
  const n = COUNTER.test(text) ? BigInt(text) : undefined;
  if (n === undefined || n < I64_MIN || n > I64_MAX)
    throw new KeyValueError(
      `${store}: cannot increment key "${shortKey(key)}": its value is not a 64-bit decimal integer`,
    );
  return n;
}

/** `current + delta`, refused outside the signed 64-bit range as Redis' INCRBY does. */
export function addCounter(store: string, key: string, current: bigint, delta: bigint): bigint {
  const next = current + delta;
  if (next < I64_MIN || next > I64_MAX)
    throw new KeyValueError(
      `${store}: incrementing key "${shortKey(key)}" by ${delta} would overflow 64 bits`,
    );
  return next;
}

export function checkDelta(store: string, delta: bigint): void {
  if (delta < I64_MIN || delta > I64_MAX)
    throw new KeyValueError(`${store}: increment ${delta} is outside the signed 64-bit range`);
}

export const encodeCounter = (n: bigint): Uint8Array => Buffer.from(n.toString(), 'latin1');

/** A key as messages show it: long ones cut, so an error line stays a line. */
export function shortKey(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/** Any failure as a KeyValueError naming the store; one that already is passes through. */
export function failure(store: string, e: unknown): KeyValueError {
  if (e instanceof KeyValueError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new KeyValueError(`${store}: ${message}`, { cause: e });
}

/** A server URL for messages: without user and password. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** The required `url` of a server backend, with one of `protocols` (`redis:`). */
export function serverUrl(
  config: Record<string, unknown>,
  context: BackendContext,
  type: string,
  protocols: readonly string[],
): URL {
  const example = `url = "${protocols[0]}//127.0.0.1:${type === 'redis' ? 6379 : 4222}"`;
  const value = config.url;
  if (typeof value !== 'string' || value === '')
    throw new KeyValueError(`${context.where}: a ${type} key-value store needs ${example}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KeyValueError(`${context.where}: url is not a URL; expected e.g. ${example}`);
  }
  if (!protocols.includes(url.protocol) || url.hostname === '')
    throw new KeyValueError(
      `${context.where}: url "${redactUrl(url)}" must start with ${protocols.map((p) => `${p}//`).join(' or ')} and name a host, e.g. ${example}`,
    );
  return url;
}

/** The `path` of a file backend, relative ones against the manifest's folder. */
export function filePath(config: Record<string, unknown>, context: BackendContext, example: string): string {
  const value = config.path;
  if (typeof value !== 'string' || value === '')
    throw new KeyValueError(`${context.where}: path must be a file path, e.g. path = "${example}"`);
  return isAbsolute(value) ? value : resolve(context.baseDir, value);
}

/**
 * Runs calls for one key one after another within this process. The NATS backend's increment
 * retries on a conflicting revision; callers of one process queueing here instead of racing each
 * other leaves the retries to writers from other processes.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, call: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(call);
    // The next caller waits for this one to settle, whichever way it goes.
    const tail = result.then(
      () => {},
      () => {},
    );
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
