/**
 * The canon section: lift and lower, the resource built-ins, and every built-in of the async ABI
 * (WASI 0.3) and of the threads proposal. They are all decoded so that any component a current
 * toolchain produces parses, whether or not Skiff can run it yet; the binder decides what it runs.
 * Opcodes are those of `Binary.md`, plus two that older toolchains still emit: `resource.drop
 * async` (0x07) and `backpressure.set` (0x08), both since removed from the spec.
 */
import type {
  Canon,
  CanonCancelKind,
  CanonOptions,
  CanonPlainKind,
  CanonThreadSwitchKind,
  CanonTransferKind,
  CanonTypedKind,
  StringEncoding,
} from './ast.ts';
import { readCoreValType } from './decode-core-types.ts';
import { readResultList } from './decode-types.ts';
import { type ByteReader, hex } from './reader.ts';

const ENCODINGS: StringEncoding[] = ['utf8', 'utf16', 'latin1+utf16'];

export function readCanonOptions(r: ByteReader): CanonOptions {
  const options: CanonOptions = {
    stringEncoding: 'utf8',
    memory: undefined,
    realloc: undefined,
    postReturn: undefined,
    async: false,
    callback: undefined,
    coreType: undefined,
    gc: false,
  };
  const seen = new Set<string>();
  const once = (what: string, at: number) => {
    if (seen.has(what)) r.fail(`canonical option ${what} given twice`, at);
    seen.add(what);
  };
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const b = r.byte();
    switch (b) {
      case 0x00:
      case 0x01:
      case 0x02:
        once('string-encoding', at);
        options.stringEncoding = ENCODINGS[b] as StringEncoding;
        break;
      case 0x03:
        once('memory', at);
        options.memory = r.u32();
        break;
      case 0x04:
        once('realloc', at);
        options.realloc = r.u32();
        break;
      case 0x05:
        once('post-return', at);
        options.postReturn = r.u32();
        break;
      case 0x06:
        once('async', at);
        options.async = true;
        break;
      case 0x07:
        once('callback', at);
        options.callback = r.u32();
        break;
      case 0x08:
        once('core-type', at);
        options.coreType = r.u32();
        break;
      case 0x09:
        once('gc', at);
        options.gc = true;
        break;
      default:
        r.fail(`unknown canonical option 0x${hex(b)}`, at);
    }
  }
  return options;
}

const NO_IMMEDIATES: Record<number, CanonPlainKind> = {
  8: 'backpressure.set',
  36: 'backpressure.inc',
  37: 'backpressure.dec',
  5: 'task.cancel',
  13: 'subtask.drop',
  30: 'error-context.drop',
  31: 'waitable-set.new',
  34: 'waitable-set.drop',
  35: 'waitable.join',
  38: 'thread.index',
  40: 'thread.resume-later',
};
const TYPE_ONLY: Record<number, CanonTypedKind> = {
  14: 'stream.new',
  19: 'stream.drop-readable',
  20: 'stream.drop-writable',
  21: 'future.new',
  26: 'future.drop-readable',
  27: 'future.drop-writable',
};
const TYPE_AND_OPTIONS: Record<number, CanonTransferKind> = {
  15: 'stream.read',
  16: 'stream.write',
  22: 'future.read',
  23: 'future.write',
};
const TYPE_AND_ASYNC: Record<number, CanonCancelKind> = {
  17: 'stream.cancel-read',
  18: 'stream.cancel-write',
  24: 'future.cancel-read',
  25: 'future.cancel-write',
};
const CANCELLABLE: Record<number, CanonThreadSwitchKind> = {
  12: 'thread.yield',
  41: 'thread.suspend',
  42: 'thread.suspend-then-resume',
  43: 'thread.yield-then-resume',
  44: 'thread.suspend-then-promote',
  45: 'thread.yield-then-promote',
};

export function readCanon(r: ByteReader): Canon {
  const start = r.offset;
  const b = r.byte();
  const simple = NO_IMMEDIATES[b];
  if (simple !== undefined) return { kind: simple };
  const typeOnly = TYPE_ONLY[b];
  if (typeOnly !== undefined) return { kind: typeOnly, type: r.u32() };
  const typeAndOptions = TYPE_AND_OPTIONS[b];
  if (typeAndOptions !== undefined)
    return { kind: typeAndOptions, type: r.u32(), options: readCanonOptions(r) };
  const typeAndAsync = TYPE_AND_ASYNC[b];
  if (typeAndAsync !== undefined) return { kind: typeAndAsync, type: r.u32(), async: r.flag('async') };
  const cancellable = CANCELLABLE[b];
  if (cancellable !== undefined) return { kind: cancellable, cancellable: r.flag('cancellable') };
  switch (b) {
    case 0x00: {
      const sort = r.byte();
      if (sort !== 0x00) r.fail(`canon lift must name a core func (0x00), not sort 0x${hex(sort)}`, start);
      const coreFunc = r.u32();
      const options = readCanonOptions(r);
      return { kind: 'lift', coreFunc, options, type: r.u32() };
    }
    case 0x01: {
      const sort = r.byte();
      if (sort !== 0x00) r.fail(`canon lower must name a func (0x00), not sort 0x${hex(sort)}`, start);
      return { kind: 'lower', func: r.u32(), options: readCanonOptions(r) };
    }
    case 0x02:
      return { kind: 'resource.new', resource: r.u32() };
    case 0x03:
      return { kind: 'resource.drop', resource: r.u32(), async: false };
    case 0x07:
      return { kind: 'resource.drop', resource: r.u32(), async: true };
    case 0x04:
      return { kind: 'resource.rep', resource: r.u32() };
    case 0x09:
      return { kind: 'task.return', result: readResultList(r), options: readCanonOptions(r) };
    case 0x0a:
    case 0x0b: {
      const type = readCoreValType(r);
      if (type !== 'i32' && type !== 'i64') r.fail('context.get/set must use i32 or i64', start);
      return { kind: b === 0x0a ? 'context.get' : 'context.set', type, slot: r.u32() };
    }
    case 0x06:
      return { kind: 'subtask.cancel', async: r.flag('async') };
    case 0x1c:
      return { kind: 'error-context.new', options: readCanonOptions(r) };
    case 0x1d:
      return { kind: 'error-context.debug-message', options: readCanonOptions(r) };
    case 0x20:
    case 0x21:
      return {
        kind: b === 0x20 ? 'waitable-set.wait' : 'waitable-set.poll',
        cancellable: r.flag('cancellable'),
        memory: r.u32(),
      };
    case 0x27:
      return { kind: 'thread.new-indirect', coreType: r.u32(), table: r.u32() };
    case 0x40:
      return { kind: 'thread.spawn-ref', shared: r.flag('shared'), coreType: r.u32() };
    case 0x41:
      return { kind: 'thread.spawn-indirect', shared: r.flag('shared'), coreType: r.u32(), table: r.u32() };
    case 0x42:
      return { kind: 'thread.available-parallelism', shared: r.flag('shared') };
    default:
      return r.fail(`unknown canonical function opcode 0x${hex(b)}`, start);
  }
}
