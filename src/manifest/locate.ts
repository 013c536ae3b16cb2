/**
 * Maps TOML key paths to line numbers, because smol-toml returns plain values without positions.
 *
 * A path is a list of keys and array indexes: `['component', 'api', 'source']`,
 * `['trigger', 'http', 2, 'route']`, `['component', 'api', 'files', 1, 'destination']`.
 * The scanner only runs on text that smol-toml has already accepted, so it need not report
 * syntax errors; it just has to stay in step with strings, comments, arrays and inline tables.
 */

export type KeyPath = readonly (string | number)[];

/** `trigger.http[2].route` → `['trigger', 'http', 2, 'route']` (keys containing dots need the array form). */
export function parseKeyPath(text: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const part of text.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) throw new Error(`invalid key path: ${text}`);
    if (match[1]) path.push(match[1]);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}

/** `['trigger', 'http', 2, 'route']` → `trigger.http[2].route`. */
export function formatKeyPath(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const pathId = (path: KeyPath): string => JSON.stringify(path);

export class LineLocator {
  /** Lines where a key is written (a header, a `key =`, an array element). */
  readonly #explicit = new Map<string, number>();
  /** Lines where a table only comes into being as the parent of something else (`[a.b]` creates `a`). */
  readonly #implicit = new Map<string, number>();

  constructor(toml: string) {
    new TomlScanner(toml, this.#explicit, this.#implicit).scan();
  }

  /**
   * Line of the key at `path`; when that key is not written (a missing key, a value inside a
   * one-line inline table), the line of its nearest written parent. Undefined for the document root.
   */
  lineOf(path: KeyPath | string): number | undefined {
    const segments = typeof path === 'string' ? parseKeyPath(path) : path;
    for (let end = segments.length; end > 0; end--) {
      const id = pathId(segments.slice(0, end));
      const line = this.#explicit.get(id) ?? this.#implicit.get(id);
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

const BARE_KEY_CHAR = /[A-Za-z0-9_-]/;
const SCALAR_END = new Set([',', ']', '}', '\n', '\r', '#']);
const ESCAPES: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  e: '\x1b',
  '"': '"',
  '\\': '\\',
};

class TomlScanner {
  readonly #text: string;
  readonly #explicit: Map<string, number>;
  readonly #implicit: Map<string, number>;
  /** Offsets where each line starts, for offset → line by binary search. */
  readonly #lineStarts: number[] = [0];
  /** How many `[[x]]` headers have been seen per array path, so `[[x]]` and `[x.y]` resolve to the latest element. */
  readonly #arrayCounts = new Map<string, number>();
  #pos = 0;

  constructor(text: string, explicit: Map<string, number>, implicit: Map<string, number>) {
    this.#text = text;
    this.#explicit = explicit;
    this.#implicit = implicit;
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.#lineStarts.push(i + 1);
  }

  scan(): void {
    let table: (string | number)[] = [];
    while (this.#skipBlank(true)) {
      const before = this.#pos;
      if (this.#text[this.#pos] === '[') table = this.#header();
      else this.#keyValue(table);
      if (this.#pos === before) this.#pos++; // never loop forever on text we did not expect
    }
  }

  #header(): (string | number)[] {
    const line = this.#lineAt(this.#pos);
    const isArray = this.#text.startsWith('[[', this.#pos);
    this.#pos += isArray ? 2 : 1;
    const keys = this.#dottedKey();
    this.#skipBlank(false);
    this.#pos += isArray ? 2 : 1;
    const resolved: (string | number)[] = [];
    keys.forEach((key, i) => {
      resolved.push(key);
      const count = this.#arrayCounts.get(pathId(resolved));
      if (isArray && i === keys.length - 1) {
        this.#record(this.#implicit, resolved, line);
        this.#arrayCounts.set(pathId(resolved), (count ?? 0) + 1);
        resolved.push(count ?? 0);
      } else if (count !== undefined) {
        resolved.push(count - 1); // `[a.b]` after `[[a]]` belongs to the latest `a` element
      }
      if (i < keys.length - 1) this.#record(this.#implicit, resolved, line);
    });
    this.#record(this.#explicit, resolved, line);
    return resolved;
  }

  #keyValue(table: readonly (string | number)[]): void {
    const line = this.#lineAt(this.#pos);
    const keys = this.#dottedKey();
    const path = [...table];
    keys.forEach((key, i) => {
      path.push(key);
      this.#record(i < keys.length - 1 ? this.#implicit : this.#explicit, path, line);
    });
    this.#skipBlank(false);
    if (this.#text[this.#pos] === '=') this.#pos++;
    this.#skipBlank(false);
    this.#value(path);
  }

  #value(path: readonly (string | number)[]): void {
    const text = this.#text;
    const c = text[this.#pos];
    if (text.startsWith('"""', this.#pos)) this.#multilineString('"""');
    else if (text.startsWith("'''", this.#pos)) this.#multilineString("'''");
    else if (c === '"' || c === "'") this.#quoted();
    else if (c === '[') this.#array(path);
    else if (c === '{') this.#inlineTable(path);
    else while (this.#pos < text.length && !SCALAR_END.has(text[this.#pos] as string)) this.#pos++;
  }

  #array(path: readonly (string | number)[]): void {
    this.#pos++; // [
    for (let index = 0; this.#skipBlank(true); index++) {
      if (this.#text[this.#pos] === ']') break;
      const element = [...path, index];
      this.#record(this.#explicit, element, this.#lineAt(this.#pos));
      const before = this.#pos;
      this.#value(element);
      this.#skipBlank(true);
      if (this.#text[this.#pos] === ',') this.#pos++;
      else if (this.#pos === before) break;
    }
    this.#pos++; // ]
  }

  /** Inline tables may span lines in TOML 1.1, which smol-toml accepts. */
  #inlineTable(path: readonly (string | number)[]): void {
    this.#pos++; // {
    while (this.#skipBlank(true) && this.#text[this.#pos] !== '}') {
      const before = this.#pos;
      this.#keyValue(path);
      this.#skipBlank(true);
      if (this.#text[this.#pos] === ',') this.#pos++;
      else if (this.#pos === before) break;
    }
    this.#pos++; // }
  }

  /** `a."b.c".d` → `['a', 'b.c', 'd']`. */
  #dottedKey(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.#skipBlank(false);
      keys.push(this.#simpleKey());
      this.#skipBlank(false);
      if (this.#text[this.#pos] !== '.') return keys;
      this.#pos++;
    }
  }

  #simpleKey(): string {
    const text = this.#text;
    const c = text[this.#pos];
    if (c === '"' || c === "'") {
      const start = this.#pos;
      this.#quoted();
      const raw = text.slice(start + 1, this.#pos - 1);
      return c === "'" ? raw : unescapeBasic(raw);
    }
    const start = this.#pos;
    while (this.#pos < text.length && BARE_KEY_CHAR.test(text[this.#pos] as string)) this.#pos++;
    return text.slice(start, this.#pos);
  }

  /** Skips a one-line `"…"` (with escapes) or `'…'` string, quotes included. */
  #quoted(): void {
    const text = this.#text;
    const quote = text[this.#pos];
    this.#pos++;
    while (this.#pos < text.length && text[this.#pos] !== quote && text[this.#pos] !== '\n') {
      this.#pos += quote === '"' && text[this.#pos] === '\\' ? 2 : 1;
    }
    this.#pos++;
  }

  #multilineString(delimiter: string): void {
    const text = this.#text;
    this.#pos += 3;
    while (this.#pos < text.length && !text.startsWith(delimiter, this.#pos)) {
      this.#pos += delimiter === '"""' && text[this.#pos] === '\\' ? 2 : 1;
    }
    this.#pos += 3;
    // Up to two quotes right before the closing delimiter belong to the string: `"""a""""`.
    for (let extra = 0; extra < 2 && text[this.#pos] === delimiter[0]; extra++) this.#pos++;
  }

  /** Skips spaces and tabs (and newlines and comments when `newlines`); false at end of text. */
  #skipBlank(newlines: boolean): boolean {
    const text = this.#text;
    while (this.#pos < text.length) {
      const c = text[this.#pos];
      if (c === ' ' || c === '\t') this.#pos++;
      else if (newlines && (c === '\n' || c === '\r')) this.#pos++;
      else if (newlines && c === '#') while (this.#pos < text.length && text[this.#pos] !== '\n') this.#pos++;
      else return true;
    }
    return false;
  }

  #record(map: Map<string, number>, path: readonly (string | number)[], line: number): void {
    const id = pathId(path);
    if (!map.has(id)) map.set(id, line); // the first mention is where a reader looks
  }

  #lineAt(offset: number): number {
    const starts = this.#lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }
}

function unescapeBasic(raw: string): string {
  return raw.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|.)/g, (_, esc: string) =>
    esc.length > 1 ? String.fromCodePoint(Number.parseInt(esc.slice(1), 16)) : (ESCAPES[esc] ?? esc),
  );
}
