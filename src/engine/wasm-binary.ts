/** The few pieces of the WebAssembly binary format Skiff's load-time rewrites need. */

export class Reader {
  readonly bytes: Uint8Array;
  offset: number;
  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
  }
  byte(): number {
    const b = this.bytes[this.offset++];
    if (b === undefined) throw new Error('unexpected end of module');
    return b;
  }
  /** Unsigned LEB128 (also skips signed ones of the same length). */
  leb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return result;
    }
  }
  skip(n: number): void {
    this.offset += n;
  }
  name(): string {
    const length = this.leb();
    const text = new TextDecoder().decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }
}

export function encodeLeb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function encodeSignedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** Memory/table limits. Flag bits: 1 has a maximum, 2 shared, 4 64-bit addresses, 8 custom page size. */
export interface Limits {
  flags: number;
  initial: number;
  maximum: number | undefined;
}

export function readLimits(r: Reader): Limits {
  const flags = r.byte();
  const initial = r.leb();
  const maximum = flags & 1 ? r.leb() : undefined;
  if (flags & 8) r.leb();
  return { flags, initial, maximum };
}

/** A value type: one byte, or a reference-type prefix followed by a heap type. */
export function skipValueType(r: Reader): void {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.leb();
}

export const EXTERNAL_KIND = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

export interface ImportEntry {
  module: string;
  name: string;
  kind: number;
  /** For memories and tables. */
  limits?: Limits;
}

/** The import section's entries, in order (they define the first indices of each kind). */
export function readImports(bytes: Uint8Array, section: Section | undefined): ImportEntry[] {
  if (!section) return [];
  const r = new Reader(bytes, section.payloadStart);
  const entries: ImportEntry[] = [];
  for (let n = r.leb(); n > 0; n--) {
    const entry: ImportEntry = { module: r.name(), name: r.name(), kind: r.byte() };
    if (entry.kind === EXTERNAL_KIND.func) r.leb();
    else if (entry.kind === EXTERNAL_KIND.table) {
      skipValueType(r);
      entry.limits = readLimits(r);
    } else if (entry.kind === EXTERNAL_KIND.memory) entry.limits = readLimits(r);
    else if (entry.kind === EXTERNAL_KIND.global) {
      skipValueType(r);
      r.byte();
    } else if (entry.kind === EXTERNAL_KIND.tag) {
      r.byte();
      r.leb();
    } else throw new Error(`unknown import kind ${entry.kind}`);
    entries.push(entry);
  }
  return entries;
}

export interface Section {
  id: number;
  start: number; // offset of the id byte
  payloadStart: number;
  end: number;
}

export function sections(bytes: Uint8Array): Section[] {
  const r = new Reader(bytes, 8);
  const list: Section[] = [];
  while (r.offset < bytes.length) {
    const start = r.offset;
    const id = r.byte();
    const size = r.leb();
    list.push({ id, start, payloadStart: r.offset, end: r.offset + size });
    r.offset += size;
  }
  return list;
}

/** A constant expression (global and table initializers), through its `end`. */
export function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return;
    if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) r.leb();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0xd0) r.leb();
    else if (op === 0xfd) {
      r.leb();
      r.skip(16);
    } else if (op === 0xfb) {
      // GC constant instructions: opcode, then up to two indices (struct.new, array.new_fixed, …).
      const sub = r.leb();
      if (sub <= 0x08 || sub === 0x1c) r.leb();
      if (sub === 0x08) r.leb();
    }
    // Other opcodes allowed in constant expressions (extended-const add/sub/mul) have no immediates.
  }
}

/** The start section's id: a function the engine runs during instantiation. */
const START_SECTION = 8;

/** True when instantiating the module runs guest code (it has a start function). */
export const hasStartFunction = (bytes: Uint8Array): boolean =>
  sections(bytes).some((section) => section.id === START_SECTION);
