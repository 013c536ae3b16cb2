/**
 * A bounds-checked cursor over the component's bytes. Offsets are absolute (from the start of the
 * outermost component) so every error and every kept subarray points at the same file position a
 * user sees in `wasm-tools print` or a hex dump. A reader never reads past its `end`: a section's
 * reader ends at the section's end, so a lying size is caught where it lies.
 */
import { ComponentParseError } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly end: number;
  /** Named in errors: `type`, `canon`, … */
  section: string;

  constructor(bytes: Uint8Array, offset: number, end: number, section: string) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.section = section;
  }

  /** A reader for `[offset, offset + length)` that reports errors as `section`. */
  sub(length: number, section: string): ByteReader {
    this.need(length, `the ${section} section`);
    const reader = new ByteReader(this.bytes, this.offset, this.offset + length, section);
    this.offset += length;
    return reader;
  }

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  fail(problem: string, offset: number = this.offset, hint?: string): never {
    throw new ComponentParseError(problem, { section: this.section, offset }, hint);
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.end) {
      this.fail(
        `unexpected end of ${what}: ${count} more bytes needed, ${Math.max(0, this.end - this.offset)} left`,
        this.offset,
        'the file is truncated or a size field is wrong; download or rebuild it again',
      );
    }
  }

  byte(): number {
    if (this.offset >= this.end) this.need(1, `the ${this.section} section`);
    return this.bytes[this.offset++] as number;
  }

  peek(): number {
    if (this.offset >= this.end) this.need(1, `the ${this.section} section`);
    return this.bytes[this.offset] as number;
  }

  /** An unsigned LEB128 of at most 32 bits (`u32` in the spec). */
  u32(): number {
    const start = this.offset;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffff_ffff) this.fail('integer too large for a u32', start);
        return result;
      }
    }
    return this.fail('integer representation too long (more than 5 bytes for a u32)', start);
  }

  /** An unsigned LEB128 of at most 64 bits, as a number (exact below 2^53, which limits never reach). */
  u64(): number {
    const start = this.offset;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return this.fail('integer representation too long (more than 10 bytes for a u64)', start);
  }

  /** A signed LEB128 of at most 33 bits: core heap types and type indices share this encoding. */
  s33(): number {
    const start = this.offset;
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= 2 ** shift;
        return result;
      }
      if (shift >= 35) this.fail('integer representation too long (more than 5 bytes for an s33)', start);
    }
  }

  /** A length-prefixed UTF-8 string (`name` in the spec). */
  name(): string {
    const length = this.u32();
    const start = this.offset;
    this.need(length, 'a name');
    this.offset += length;
    // Names are short and nearly always ASCII; TextDecoder's per-call cost dominates for them.
    if (length <= 64) {
      let ascii = '';
      for (let i = start; i < this.offset; i++) {
        const b = this.bytes[i] as number;
        if (b >= 0x80) return this.utf8(start);
        ascii += String.fromCharCode(b);
      }
      return ascii;
    }
    return this.utf8(start);
  }

  private utf8(start: number): string {
    try {
      return utf8.decode(this.bytes.subarray(start, this.offset));
    } catch {
      return this.fail('a name is not valid UTF-8', start);
    }
  }

  /** `count` bytes as a view into the file (never a copy). */
  bytesView(count: number): Uint8Array {
    this.need(count, `the ${this.section} section`);
    const view = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return view;
  }

  /** A `vec(...)`: a u32 count, then that many items. */
  vec<T>(item: (reader: ByteReader) => T): T[] {
    const count = this.u32();
    // Every item takes at least one byte, so a count past the bytes left is a lie told up front.
    if (count > this.end - this.offset) {
      this.fail(`a vector claims ${count} items but only ${this.end - this.offset} bytes are left`);
    }
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = item(this);
    return items;
  }

  /** A `vec(...)` read for its effects: a u32 count, then that many items. */
  each(item: (reader: ByteReader) => void): void {
    const count = this.u32();
    if (count > this.end - this.offset) {
      this.fail(`a vector claims ${count} items but only ${this.end - this.offset} bytes are left`);
    }
    for (let i = 0; i < count; i++) item(this);
  }

  /** `0x00` → undefined, `0x01 x` → x (`T?` in the spec). */
  optional<T>(item: (reader: ByteReader) => T, what: string): T | undefined {
    const start = this.offset;
    const flag = this.byte();
    if (flag === 0x00) return undefined;
    if (flag === 0x01) return item(this);
    return this.fail(`invalid presence byte 0x${hex(flag)} for ${what} (0x00 or 0x01 expected)`, start);
  }

  /** `0x00` → false, `0x01` → true. */
  flag(what: string): boolean {
    const start = this.offset;
    const b = this.byte();
    if (b === 0x00) return false;
    if (b === 0x01) return true;
    return this.fail(`invalid ${what} byte 0x${hex(b)} (0x00 or 0x01 expected)`, start);
  }
}

export const hex = (b: number): string => b.toString(16).padStart(2, '0');
