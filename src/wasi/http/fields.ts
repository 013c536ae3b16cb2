/** `wasi:http/types#fields` — header and trailer maps; names are case-insensitive, values are bytes. */
import { ResultError } from '../result-error.ts';

export type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };
export type FieldEntry = [string, Uint8Array];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Connection-level headers belong to the host's HTTP stack, never to a guest. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'te',
  'trailer',
]);

function checkValue(value: Uint8Array): boolean {
  for (const byte of value) if (byte === 0 || byte === 10 || byte === 13) return false;
  return true;
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
    const key = this.#checkWritable(name, values);
    this.#entries = this.#entries.filter(([n]) => n !== key);
    for (const value of values) this.#entries.push([key, value]);
  }

  delete(name: string): void {
    const key = this.#checkWritable(name, []);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }

  append(name: string, value: Uint8Array): void {
    const key = this.#checkWritable(name, [value]);
    this.#entries.push([key, value]);
  }

  entries(): FieldEntry[] {
    return this.#entries.map(([n, v]) => [n, v]);
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

  #checkWritable(name: string, values: Uint8Array[]): string {
    if (this.#immutable) throw new ResultError<HeaderError>({ tag: 'immutable' });
    if (!TOKEN.test(name) || !values.every(checkValue))
      throw new ResultError<HeaderError>({ tag: 'invalid-syntax' });
    const key = name.toLowerCase();
    if (HOP_BY_HOP.has(key)) throw new ResultError<HeaderError>({ tag: 'forbidden' });
    return key;
  }
}

/** Node's header object → fields, dropping hop-by-hop headers. */
export function fieldsFromNode(rawHeaders: string[], extra: Array<[string, string]> = []): Fields {
  const entries: FieldEntry[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (!HOP_BY_HOP.has(name)) entries.push([name, Buffer.from(rawHeaders[i + 1] as string, 'latin1')]);
  }
  for (const [name, value] of extra) entries.push([name, encoder.encode(value)]);
  return Fields.frozen(entries);
}

/** Fields → name/value pairs for Node (values as latin1 strings, repeated names kept). */
export function fieldsToPairs(fields: Fields): Array<[string, string]> {
  return fields
    .entries()
    .filter(([name]) => !HOP_BY_HOP.has(name))
    .map(([name, value]) => [name, Buffer.from(value).toString('latin1')]);
}

/** The flat header list Node's writeHead and request() accept. */
export const fieldsToNode = (fields: Fields): string[] => fieldsToPairs(fields).flat();
