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

export function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.leb();
  if (flags & 1) r.leb();
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
