/**
 * Walks the instructions of a function body, skipping each one's immediates, so a rewrite can find
 * where loops begin and whether a function calls out. Covers the standardised proposals guests use
 * today (MVP, sign-extension, saturating truncation, bulk memory, reference types, multi-value,
 * SIMD and relaxed SIMD, threads, tail calls, typed function references, exception handling legacy
 * and exnref, multi-memory, memory64). An opcode outside them is an error, never a guess: a wrong
 * skip would corrupt the code that follows.
 */
import { type Reader, skipValueType } from '../wasm-binary.ts';

export class UnsupportedInstructionError extends Error {
  override name = 'UnsupportedInstructionError';
}

export const OP = {
  loop: 0x03,
  end: 0x0b,
  call: 0x10,
  callIndirect: 0x11,
  returnCall: 0x12,
  returnCallIndirect: 0x13,
  callRef: 0x14,
  returnCallRef: 0x15,
} as const;

/** Instructions that call a function: a function containing one can recurse. */
export const CALL_OPCODES = new Set<number>([
  OP.call,
  OP.callIndirect,
  OP.returnCall,
  OP.returnCallIndirect,
  OP.callRef,
  OP.returnCallRef,
]);

/** `blocktype`: empty (0x40), a value type, or a type index (a non-negative s33). */
function skipBlockType(r: Reader): void {
  const b = r.byte();
  if (b & 0x80) {
    r.offset--;
    r.leb();
  } else if (b === 0x63 || b === 0x64) r.leb();
}

/** `memarg`: alignment (bit 6 says a memory index follows), then the offset. */
function skipMemarg(r: Reader): void {
  const align = r.leb();
  if (align & 0x40) r.leb();
  r.leb();
}

function unsupported(r: Reader, opcode: string): never {
  throw new UnsupportedInstructionError(
    `instruction ${opcode} at byte ${r.offset} is not supported (WebAssembly GC and other proposals outside the standard set)`,
  );
}

function skipMiscImmediates(r: Reader): void {
  const sub = r.leb();
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: // memory.init data mem
    case 10: // memory.copy mem mem
    case 12: // table.init elem table
    case 14: // table.copy table table
      r.leb();
      r.leb();
      return;
    case 9: // data.drop
    case 11: // memory.fill
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      r.leb();
      return;
    default:
      unsupported(r, `0xfc ${sub}`);
  }
}

function skipSimdImmediates(r: Reader): void {
  const sub = r.leb();
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) skipMemarg(r);
  else if (sub === 0x0c || sub === 0x0d)
    r.skip(16); // v128.const, i8x16.shuffle
  else if (sub >= 0x15 && sub <= 0x22)
    r.skip(1); // extract/replace lane
  else if (sub >= 0x54 && sub <= 0x5b) {
    skipMemarg(r); // load/store lane
    r.skip(1);
  } else if (sub > 0x113) unsupported(r, `0xfd ${sub}`);
}

function skipAtomicImmediates(r: Reader): void {
  const sub = r.leb();
  if (sub === 0x03)
    r.skip(1); // atomic.fence
  else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) skipMemarg(r);
  else unsupported(r, `0xfe ${sub}`);
}

/** Reads one instruction (the reader stops after its immediates) and returns its opcode. */
export function readInstruction(r: Reader): number {
  const op = r.byte();
  switch (op) {
    case 0x02: // block
    case 0x03: // loop
    case 0x04: // if
    case 0x06: // try (legacy exceptions)
      skipBlockType(r);
      break;
    case 0x07: // catch
    case 0x08: // throw
    case 0x09: // rethrow
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x10: // call
    case 0x12: // return_call
    case 0x14: // call_ref
    case 0x15: // return_call_ref
    case 0x18: // delegate
    case 0x20: // local.get
    case 0x21: // local.set
    case 0x22: // local.tee
    case 0x23: // global.get
    case 0x24: // global.set
    case 0x25: // table.get
    case 0x26: // table.set
    case 0x3f: // memory.size
    case 0x40: // memory.grow
    case 0x41: // i32.const
    case 0x42: // i64.const
    case 0xd0: // ref.null
    case 0xd2: // ref.func
    case 0xd5: // br_on_null
    case 0xd6: // br_on_non_null
      r.leb();
      break;
    case 0x0e: // br_table
      for (let n = r.leb(); n >= 0; n--) r.leb();
      break;
    case 0x11: // call_indirect
    case 0x13: // return_call_indirect
      r.leb();
      r.leb();
      break;
    case 0x1c: // select with types
      for (let n = r.leb(); n > 0; n--) skipValueType(r);
      break;
    case 0x1f: // try_table
      skipBlockType(r);
      for (let n = r.leb(); n > 0; n--) {
        const kind = r.byte();
        if (kind <= 1) r.leb(); // catch / catch_ref carry a tag
        r.leb();
      }
      break;
    case 0x43:
      r.skip(4);
      break;
    case 0x44:
      r.skip(8);
      break;
    case 0xfc:
      skipMiscImmediates(r);
      break;
    case 0xfd:
      skipSimdImmediates(r);
      break;
    case 0xfe:
      skipAtomicImmediates(r);
      break;
    default:
      if (op >= 0x28 && op <= 0x3e) skipMemarg(r);
      else if (
        op <= 0x01 || // unreachable, nop
        op === 0x05 || // else
        (op >= 0x0a && op <= 0x0b) || // throw_ref, end
        op === 0x0f || // return
        op === 0x19 || // catch_all
        op === 0x1a || // drop
        op === 0x1b || // select
        (op >= 0x45 && op <= 0xc4) || // numeric
        (op >= 0xd1 && op <= 0xd4) // ref.is_null, ref.eq, ref.as_non_null
      ) {
        // no immediates
      } else unsupported(r, `0x${op.toString(16)}`);
  }
  return op;
}
