/**
 * Bounds the tables a core module defines, against a guest that declares (or grows) a table of
 * millions of entries — memory the host would pay per instance. The largest table among real
 * guests seen so far is StarlingMonkey's (about 7,800 entries); the cap leaves ample room.
 * Only the table section changes: each maximum is lowered to the cap.
 */
import { encodeLeb, Reader, readLimits, sections, skipConstExpr, skipValueType } from './wasm-binary.ts';

export const MAX_TABLE_ELEMENTS = 100_000;
const TABLE_SECTION = 4;

export class TableLimitError extends Error {
  override name = 'TableLimitError';
}

export function limitTables(bytes: Uint8Array, maxElements = MAX_TABLE_ELEMENTS): Uint8Array {
  const section = sections(bytes).find((s) => s.id === TABLE_SECTION);
  if (!section) return bytes;
  const r = new Reader(bytes, section.payloadStart);
  const count = r.leb();
  const payload: number[] = [...encodeLeb(count)];
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    // A table with an initializer (typed function references) starts with 0x40 0x00.
    const withInit = bytes[start] === 0x40;
    if (withInit) r.skip(2);
    skipValueType(r);
    payload.push(...bytes.subarray(start, r.offset));
    const { flags, initial, maximum } = readLimits(r);
    if (flags & 4) throw new TableLimitError(`table ${i} uses 64-bit indices, which Skiff does not support`);
    if (initial > maxElements) {
      throw new TableLimitError(
        `table ${i} declares ${initial} entries to start with, more than the limit of ${maxElements}`,
      );
    }
    payload.push(
      flags | 1,
      ...encodeLeb(initial),
      ...encodeLeb(Math.min(maximum ?? maxElements, maxElements)),
    );
    if (withInit) {
      const exprStart = r.offset;
      skipConstExpr(r);
      payload.push(...bytes.subarray(exprStart, r.offset));
    }
  }
  const replacement = Uint8Array.from([TABLE_SECTION, ...encodeLeb(payload.length), ...payload]);
  const out = new Uint8Array(bytes.length - (section.end - section.start) + replacement.length);
  out.set(bytes.subarray(0, section.start), 0);
  out.set(replacement, section.start);
  out.set(bytes.subarray(section.end), section.start + replacement.length);
  return out;
}
