/**
 * Strings across the boundary in the three encodings (`load_string_from_range`, `store_string`).
 * Lifting validates (invalid UTF-8/UTF-16 traps) and keeps a leading BOM. Lowering treats a JS
 * string as UTF-16 source (what it is), so it follows the spec's UTF-16 → UTF-8 and UTF-16 →
 * latin1+utf16 paths: optimistic allocation, then one `realloc` to the worst case and one to shrink.
 * A JS string with lone surrogates is lowered with U+FFFD in their place, as `TextEncoder` does.
 * The lowering helpers return the pointer and leave the (tagged) length in `memory.lastLength`.
 */
import { allocate, reallocate } from './allocate.ts';
import type { LiftLowerContext } from './context.ts';
import type { GuestMemory } from './guest-memory.ts';
import { MAX_STRING_BYTE_LENGTH, UTF16_TAG } from './layout.ts';
import { trap } from './trap.ts';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16Decoder = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
/** Below this many code units a loop beats the setup cost of TextDecoder/TextEncoder. */
const SHORT_STRING = 32;
/** `String.fromCharCode.apply` takes at most this many arguments safely. */
const CHUNK = 8192;

function checkRange(m: GuestMemory, ptr: number, bytes: number, align: number): void {
  if (bytes > MAX_STRING_BYTE_LENGTH) trap('string-too-long', `${bytes} bytes at ${ptr}`);
  if ((ptr & (align - 1)) !== 0) trap('misaligned', `a string at ${ptr} needs alignment ${align}`);
  if (ptr + bytes > m.u8.length) m.require(ptr + bytes, `a string at ${ptr} of ${bytes} bytes`);
}

/**
 * Decoders for short ASCII strings, one per length, each reading its bytes into locals and making
 * the string with one `String.fromCharCode` call: 3-5× faster than a concatenation loop or
 * TextDecoder for the short names and values most calls carry. `undefined` when a byte is ≥ 0x80.
 */
const SHORT_ASCII: ReadonlyArray<(u8: Uint8Array, ptr: number) => string | undefined> = Array.from(
  { length: SHORT_STRING + 1 },
  (_, n) => {
    if (n === 0) return () => '';
    const names = Array.from({ length: n }, (_, i) => `c${i}`);
    return new Function(
      'u8',
      'ptr',
      `const ${names.map((c, i) => `${c} = u8[ptr + ${i}]`).join(', ')};
      if ((${names.join(' | ')}) & 0x80) return undefined;
      return String.fromCharCode(${names.join(', ')});`,
    ) as (u8: Uint8Array, ptr: number) => string | undefined;
  },
);

export function liftStringUtf8(m: GuestMemory, ptr: number, length: number): string {
  checkRange(m, ptr, length, 1);
  const end = ptr + length;
  if (length <= SHORT_STRING) {
    const ascii = (SHORT_ASCII[length] as (u8: Uint8Array, ptr: number) => string | undefined)(m.u8, ptr);
    if (ascii !== undefined) return ascii;
  }
  try {
    return utf8Decoder.decode(m.u8.subarray(ptr, end));
  } catch {
    return trap('invalid-utf8', `${length} bytes at ${ptr}`);
  }
}

function decodeUtf16(m: GuestMemory, ptr: number, units: number): string {
  checkRange(m, ptr, 2 * units, 2);
  try {
    return utf16Decoder.decode(m.u8.subarray(ptr, ptr + 2 * units));
  } catch {
    return trap('invalid-utf16', `${units} code units at ${ptr}`);
  }
}

export function liftStringUtf16(m: GuestMemory, ptr: number, units: number): string {
  return decodeUtf16(m, ptr, units);
}

export function liftStringLatin1Utf16(m: GuestMemory, ptr: number, tagged: number): string {
  if (tagged >= UTF16_TAG) return decodeUtf16(m, ptr, tagged - UTF16_TAG);
  // Latin-1 is every byte as the code point of the same value; TextDecoder's 'latin1' is windows-1252.
  checkRange(m, ptr, tagged, 2);
  const u8 = m.u8;
  let s = '';
  for (let at = ptr, end = ptr + tagged; at < end; at += CHUNK)
    s += String.fromCharCode.apply(null, u8.subarray(at, Math.min(at + CHUNK, end)) as unknown as number[]);
  return s;
}

function expectString(s: unknown): string {
  if (typeof s !== 'string') throw new TypeError(`expected a string, got ${typeof s}`);
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** `store_utf16_to_utf8`: one byte per code unit while ASCII, else worst case then shrink. */
export function lowerStringUtf8(cx: LiftLowerContext, value: unknown): number {
  const s = expectString(value);
  const units = s.length;
  const m = cx.memory as GuestMemory;
  let ptr = allocate(cx, 1, units);
  let ascii = true;
  if (units <= SHORT_STRING) {
    const u8 = m.u8;
    for (let i = 0; i < units; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      u8[ptr + i] = c;
    }
  } else {
    const { read } = utf8Encoder.encodeInto(s, m.u8.subarray(ptr, ptr + units));
    // Every code unit takes at least one byte, so all units fitting means all were ASCII.
    ascii = read === units;
  }
  if (ascii) {
    m.lastLength = units;
    return ptr;
  }
  const worst = 3 * units;
  ptr = reallocate(cx, ptr, units, 1, worst);
  const { written } = utf8Encoder.encodeInto(s, m.u8.subarray(ptr, ptr + worst));
  if (written < worst) ptr = reallocate(cx, ptr, worst, 1, written);
  m.lastLength = written;
  return ptr;
}

/** `store_string_copy` to UTF-16: two bytes per code unit. */
export function lowerStringUtf16(cx: LiftLowerContext, value: unknown): number {
  const s = expectString(value);
  const units = s.length;
  const m = cx.memory as GuestMemory;
  const ptr = allocate(cx, 2, 2 * units);
  const u16 = m.u16;
  const base = ptr >>> 1;
  for (let i = 0; i < units; i++) u16[base + i] = s.charCodeAt(i);
  m.lastLength = units;
  return ptr;
}

/** `store_string_to_latin1_or_utf16`: Latin-1 while it fits, else inflate in place to UTF-16. */
export function lowerStringLatin1Utf16(cx: LiftLowerContext, value: unknown): number {
  const s = expectString(value);
  const units = s.length;
  const m = cx.memory as GuestMemory;
  let ptr = allocate(cx, 2, units);
  let u8 = m.u8;
  let i = 0;
  for (; i < units; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x100) break;
    u8[ptr + i] = c;
  }
  if (i === units) {
    m.lastLength = units;
    return ptr;
  }
  ptr = reallocate(cx, ptr, units, 2, 2 * units);
  u8 = m.u8;
  for (let j = i - 1; j >= 0; j--) {
    u8[ptr + 2 * j] = u8[ptr + j] as number;
    u8[ptr + 2 * j + 1] = 0;
  }
  const u16 = m.u16;
  const base = ptr >>> 1;
  for (; i < units; i++) u16[base + i] = s.charCodeAt(i);
  m.lastLength = units + UTF16_TAG;
  return ptr;
}
