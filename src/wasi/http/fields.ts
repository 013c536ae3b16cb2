/** `wasi:http/types#fields` — header and trailer maps; names are case-insensitive, values are bytes. */
import { ResultError } from '../result-error.ts';

export type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };
export type FieldEntry = [string, Uint8Array];

/** RFC 9110 token: exactly what Node's writer accepts as a header name (`checkIsHttpToken`). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Connection-level headers (RFC 9110 §7.6.1) belong to the host's HTTP stack; they never cross into
 * or out of a guest. `Trailer` is not one: it announces end-to-end trailer fields (§6.6.2), and
 * HTTP/1 clients such as hyper send only the trailers it names.
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'te',
]);

/**
 * What a guest may not set in fields it builds: the hop-by-hop headers, `host` (an outgoing
 * request's Host comes from its authority) and the proxy credentials of the host's own hops —
 * wasmtime's DEFAULT_FORBIDDEN_HEADERS. The guest gets `forbidden`.
 */
export const FORBIDDEN_TO_GUESTS = new Set([
  ...HOP_BY_HOP,
  'host',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * A value Node's writer will send (`checkInvalidHeaderChar`): HTAB, visible ASCII and obs-text
 * (0x80–0xFF); every other control byte, DEL included, is refused. Checking the same rule here
 * makes a bad value a `header-error` for the guest instead of a broken reply for the client.
 */
function isValidValue(value: Uint8Array): boolean {
  for (const byte of value) if ((byte < 0x20 && byte !== 0x09) || byte === 0x7f) return false;
  return true;
}

/** RFC 9110 §8.6: 1*DIGIT; beyond 2^53 it cannot be counted exactly, so it is refused too. */
const CONTENT_LENGTH = /^\d{1,15}$/;
const decoder = new TextDecoder();

/** The declared `content-length` of fields a guest built (already checked to agree), if any. */
export function declaredLength(fields: Fields): number | undefined {
  const [value] = fields.get('content-length');
  return value === undefined ? undefined : Number(decoder.decode(value));
}

export class Fields {
  #entries: FieldEntry[] = [];
  #immutable = false;

  static fromList(entries: FieldEntry[]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
  }

  /** Host-built fields (incoming requests and responses) that a guest may read but not change. */
  static frozen(entries: FieldEntry[]): Fields {
    const fields = new Fields();
    fields.#entries = entries.map(([name, value]) => [name.toLowerCase(), value]);
    fields.#immutable = true;
    return fields;
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.#entries.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#entries.some(([n]) => n === key);
  }

  set(name: string, values: Uint8Array[]): void {
    const key = this.#checkWritable(name, values, []);
    this.#entries = this.#entries.filter(([n]) => n !== key);
    for (const value of values) this.#entries.push([key, value]);
  }

  delete(name: string): void {
    const key = this.#checkWritable(name, [], []);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }

  append(name: string, value: Uint8Array): void {
    const key = this.#checkWritable(name, [value], this.get(name));
    this.#entries.push([key, value]);
  }

  entries(): FieldEntry[] {
    return this.#entries.map(([n, v]) => [n, v]);
  }

  /** WASI 0.3's name for `entries`. */
  copyAll(): FieldEntry[] {
    return this.entries();
  }

  /** WASI 0.3: the values of `name`, removed. */
  getAndDelete(name: string): Uint8Array[] {
    const values = this.get(name);
    this.delete(name);
    return values;
  }

  clone(): Fields {
    const copy = new Fields();
    copy.#entries = this.entries();
    return copy;
  }

  /** Called when ownership passes to a request or response: the map is final from then on. */
  freeze(): this {
    this.#immutable = true;
    return this;
  }

  /** `kept`: the values of `name` that stay beside the new ones (append keeps them, set does not). */
  #checkWritable(name: string, values: Uint8Array[], kept: Uint8Array[]): string {
    if (this.#immutable) throw new ResultError<HeaderError>({ tag: 'immutable' });
    if (!TOKEN.test(name) || !values.every(isValidValue))
      throw new ResultError<HeaderError>({ tag: 'invalid-syntax' });
    const key = name.toLowerCase();
    if (FORBIDDEN_TO_GUESTS.has(key)) throw new ResultError<HeaderError>({ tag: 'forbidden' });
    if (key === 'content-length' && !isValidContentLength([...kept, ...values]))
      throw new ResultError<HeaderError>({ tag: 'invalid-syntax' });
    return key;
  }
}

/** Every value a decimal length and all of them the same: a message has exactly one length. */
function isValidContentLength(values: Uint8Array[]): boolean {
  const texts = values.map((v) => decoder.decode(v));
  return texts.every((t) => CONTENT_LENGTH.test(t)) && texts.every((t) => Number(t) === Number(texts[0]));
}

/**
 * Node's header object → the fields a guest reads, without the headers it may not set: the
 * authority comes through `authority()`, and a guest that forwards what it received (as naive
 * proxies do, e.g. with wstd, which fails on the first refused header) never trips over them.
 * wasmtime hands guests the same view.
 */
export function fieldsFromNode(rawHeaders: string[], extra: Array<[string, string]> = []): Fields {
  const entries: FieldEntry[] = [];
  // Buffer.from carves small values out of a shared pool; TextEncoder gives each its own
  // ArrayBuffer, which costs far more when a worker holds many instances' memories.
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (!FORBIDDEN_TO_GUESTS.has(name))
      entries.push([name, Buffer.from(rawHeaders[i + 1] as string, 'latin1')]);
  }
  for (const [name, value] of extra) entries.push([name, Buffer.from(value, 'utf8')]);
  return Fields.frozen(entries);
}

/**
 * Fields a guest built → name/value pairs for Node (values as latin1 strings, repeated names kept).
 * A repeated `content-length` (the same value, or `append` would have refused it) goes out once.
 */
export function fieldsToPairs(fields: Fields): Array<[string, string]> {
  let lengthSeen = false;
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of fields.entries()) {
    if (FORBIDDEN_TO_GUESTS.has(name)) continue;
    if (name === 'content-length') {
      if (lengthSeen) continue;
      lengthSeen = true;
    }
    pairs.push([name, Buffer.from(value).toString('latin1')]);
  }
  return pairs;
}

/** The flat header list Node's writeHead and request() accept. */
export const fieldsToNode = (fields: Fields): string[] => fieldsToPairs(fields).flat();
