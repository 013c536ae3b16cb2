/**
 * Makes a core module interruptible. V8 has neither fuel nor epochs, so the check is compiled into
 * the guest: at every loop header, and at the entry of every function that may take part in an
 * endless chain of calls (call-graph.ts) — the only ways code can run unboundedly — it reads the
 * instance's flag byte and, when it is not zero, calls a checkpoint function added to the module:
 *
 *   i32.const 0 ; i32.atomic.load8_u (flag memory) ; if call $checkpoint end
 *
 * The checkpoint traps when the flag says stop (0xff), and when it says yield (1) clears it and
 * suspends the guest until a later turn of the event loop (time-slice.ts), through host functions
 * the host puts in a table the module exports (`skiff:yield`): a plain one that asks whether to
 * yield, a JSPI-suspending one that yields, and a plain one told when the yield was refused. Where
 * the stack cannot be suspended (guest code called synchronously by the host, e.g. `realloc` while
 * lowering), V8 refuses the suspension with an exception the checkpoint catches; the host takes the
 * yield back and the guest runs on. Appending a function, two types and a table shifts no existing
 * index, so nothing else in the module moves.
 *
 * The flag memory is one shared page per component instance, imported by each of its core
 * modules, so the address is a constant (the cheapest check V8 compiles: see BENCHMARKS.md). Its
 * index must not shift the module's own memories (V8 keeps memory 0's base in a register; any
 * other index costs a load per access), so memories the module defines become imports the host
 * creates with the same limits, in the same order, and the flag memory comes last. Nothing else in
 * the module moves. controller.ts owns what the flag word means.
 */
import { setFlagsFromString } from 'node:v8';
import {
  EXTERNAL_KIND,
  encodeLeb,
  encodeSignedLeb,
  Reader,
  readImports,
  readLimits,
  type Section,
  sections,
  skipValueType,
} from '../wasm-binary.ts';
import { needsEntryCheck } from './call-graph.ts';
import { CALL_OPCODES, OP, readInstruction } from './instructions.ts';

// V8 (Node 24) reads the checks' branch hints only behind this flag; without them the checkpoint
// call on the cold path costs the compute kernels about three times as much (BENCHMARKS.md).
setFlagsFromString('--experimental-wasm-branch-hinting');

/** Import module of the memories a module used to define; the field is the memory's index. */
export const HOST_MEMORY = 'skiff:memory';
export const FLAG_MEMORY = { module: 'skiff:interrupt', name: 'flags' } as const;
/**
 * The check reads the low byte of the flag word, zero while the instance runs (tickets are
 * multiples of 256) and 0xff once tripped (-1). Offset 0 measured cheaper than the high byte.
 */
const FLAG_BYTE = 0;
/**
 * The exported table holding the host's [should-yield, yield, yield-refused] functions; empty until
 * the host fills it.
 */
export const YIELD_TABLE = 'skiff:yield';

const SECTION = { type: 1, import: 2, function: 3, table: 4, memory: 5, export: 7, code: 10 } as const;

const KIND = EXTERNAL_KIND;
/** Where each standard section goes in a module (custom sections may sit anywhere). */
const ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

function vec(count: number, entries: number[] | Uint8Array): number[] {
  return [...encodeLeb(count), ...entries];
}

function nameBytes(text: string): number[] {
  const encoded = new TextEncoder().encode(text);
  return [...encodeLeb(encoded.length), ...encoded];
}

function section(id: number, payload: ArrayLike<number>): Uint8Array {
  return Uint8Array.from([id, ...encodeLeb(payload.length), ...Array.from(payload)]);
}

/** Existing entries of a vector section (after its count), and that count. */
function entriesOf(bytes: Uint8Array, s: Section | undefined): { count: number; entries: Uint8Array } {
  if (!s) return { count: 0, entries: new Uint8Array(0) };
  const r = new Reader(bytes, s.payloadStart);
  const count = r.leb();
  return { count, entries: bytes.subarray(r.offset, s.end) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The few instructions the check and the checkpoint are made of. */
const W = {
  block: 0x02,
  if: 0x04,
  br: 0x0c,
  end: 0x0b,
  void: 0x40,
  unreachable: 0x00,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  drop: 0x1a,
  tryTable: 0x1f,
  catchAll: 0x02,
  tableGet: 0x25,
  i32Eq: 0x46,
  refIsNull: 0xd1,
  atomic: 0xfe,
  atomicLoad8: 0x12,
  atomicCmpxchg8: 0x4a,
} as const;

const i32 = (value: number): number[] => [0x41, ...encodeSignedLeb(value)];

/** A memarg for a byte access at offset 0; bit 6 of the alignment says a memory index follows. */
function byteAt(memory: number): number[] {
  return [...(memory === 0 ? [0x00] : [0x40, ...encodeLeb(memory)]), FLAG_BYTE];
}

function checkSequence(flagMemory: number, checkpoint: number): Uint8Array {
  const flag = byteAt(flagMemory);
  return Uint8Array.from([
    ...i32(0),
    W.atomic,
    W.atomicLoad8,
    ...flag,
    W.if,
    W.void,
    W.call,
    ...encodeLeb(checkpoint),
    W.end,
  ]);
}

/**
 * The checkpoint's body: trap if stopped; else clear the yield request and, when the host filled
 * the table and its first function says so, call its second, which suspends. A refusal to suspend
 * is caught and reported to the third (the host had already taken the guest off the thread's
 * books), and the guest runs on. Last, trap if the guest was stopped meanwhile.
 */
function checkpointBody(flagMemory: number, table: number, types: { ask: number; act: number }): Uint8Array {
  const flag = byteAt(flagMemory);
  const inTable = encodeLeb(table);
  const trapIfStopped = [
    ...[...i32(0), W.atomic, W.atomicLoad8, ...flag, ...i32(0xff), W.i32Eq],
    ...[W.if, W.void, W.unreachable, W.end],
  ];
  const code = [
    0, // no locals
    ...trapIfStopped,
    ...[...i32(0), ...i32(1), ...i32(0), W.atomic, W.atomicCmpxchg8, ...flag, W.drop],
    ...[...i32(0), W.tableGet, ...inTable, W.refIsNull, W.if, W.void, W.return, W.end],
    ...[...i32(0), W.callIndirect, ...encodeLeb(types.ask), ...inTable, W.if, W.void],
    ...[W.block, W.void, W.block, W.void, W.tryTable, W.void, 1, W.catchAll, 0],
    ...[...i32(1), W.callIndirect, ...encodeLeb(types.act), ...inTable],
    // Suspended and resumed: past the refusal.
    ...[W.end, W.br, 1, W.end],
    ...[...i32(2), W.callIndirect, ...encodeLeb(types.act), ...inTable],
    ...[W.end, W.end],
    ...trapIfStopped,
    W.end,
  ];
  return Uint8Array.from([...encodeLeb(code.length), ...code]);
}

/** What the rewrite needs of one function body. */
interface FunctionScan {
  bodyStart: number;
  localsEnd: number;
  bodyEnd: number;
  /** Offsets right after each loop header, where a check goes. */
  loopHeaders: number[];
  /** Defined functions it calls directly (indices among the defined functions). */
  callees: number[];
  /** It makes a call that may lead anywhere: indirect, or to an import. */
  opaque: boolean;
}

function scanFunctions(bytes: Uint8Array, code: Section, importedFunctions: number): FunctionScan[] {
  const r = new Reader(bytes, code.payloadStart);
  const scans: FunctionScan[] = [];
  for (let f = 0, count = r.leb(); f < count; f++) {
    const size = r.leb();
    const bodyStart = r.offset;
    const bodyEnd = bodyStart + size;
    for (let n = r.leb(); n > 0; n--) {
      r.leb();
      skipValueType(r);
    }
    const scan: FunctionScan = {
      bodyStart,
      localsEnd: r.offset,
      bodyEnd,
      loopHeaders: [],
      callees: [],
      opaque: false,
    };
    while (r.offset < bodyEnd) {
      const at = r.offset;
      const op = readInstruction(r);
      if (op === OP.loop) scan.loopHeaders.push(r.offset);
      else if (op === OP.call || op === OP.returnCall) {
        const callee = new Reader(bytes, at + 1).leb();
        if (callee < importedFunctions) scan.opaque = true;
        else scan.callees.push(callee - importedFunctions);
      } else if (CALL_OPCODES.has(op)) scan.opaque = true;
    }
    if (r.offset !== bodyEnd) throw new Error(`function ${f}: instructions overrun the body`);
    scans.push(scan);
  }
  return scans;
}

/**
 * Every function body, with a check after each loop header, and at its entry where call-graph.ts
 * says; then the checkpoint's body, appended as the last function.
 */
function instrumentCode(
  bytes: Uint8Array,
  code: Section | undefined,
  check: Uint8Array,
  checkpoint: Uint8Array,
  importedFunctions: number,
  hints: BranchHints,
): Uint8Array {
  const scans = code ? scanFunctions(bytes, code, importedFunctions) : [];
  const entryChecked = needsEntryCheck(
    scans.map((s) => s.callees),
    scans.map((s) => s.opaque),
  );
  const parts: Uint8Array[] = [Uint8Array.from(encodeLeb(scans.length + 1))];
  const ifAt = check.indexOf(W.if);
  scans.forEach((scan, f) => {
    const pieces: Uint8Array[] = [bytes.subarray(scan.bodyStart, scan.localsEnd)];
    const hintsAt: number[] = [];
    let size = scan.localsEnd - scan.bodyStart;
    const addCheck = () => {
      hintsAt.push(size + ifAt);
      pieces.push(check);
      size += check.length;
    };
    if (entryChecked[f]) addCheck();
    let from = scan.localsEnd;
    for (const header of scan.loopHeaders) {
      pieces.push(bytes.subarray(from, header));
      size += header - from;
      addCheck();
      from = header;
    }
    pieces.push(bytes.subarray(from, scan.bodyEnd));
    size += scan.bodyEnd - from;
    parts.push(Uint8Array.from(encodeLeb(size)), ...pieces);
    if (hintsAt.length > 0) hints.push({ func: importedFunctions + f, at: hintsAt });
  });
  parts.push(checkpoint);
  return section(SECTION.code, concat(parts));
}

/** Where each function's checks branch: their `if`s, by offset in the function body. */
type BranchHints = Array<{ func: number; at: number[] }>;

/**
 * The branch-hinting section: every check's `if` is marked unlikely, so V8 keeps the checkpoint
 * call out of the hot path (V8 reads it with --experimental-wasm-branch-hinting).
 */
function branchHintSection(hints: BranchHints): Uint8Array {
  const body: number[] = [...nameBytes('metadata.code.branch_hint'), ...encodeLeb(hints.length)];
  for (const { func, at } of hints) {
    body.push(...encodeLeb(func), ...encodeLeb(at.length));
    for (const offset of at) body.push(...encodeLeb(offset), 1, 0);
  }
  return section(0, body);
}

/** A vector section with `added` appended to its entries. */
function appended(bytes: Uint8Array, id: number, s: Section | undefined, added: number[]): Uint8Array {
  const { count, entries } = entriesOf(bytes, s);
  return section(id, vec(count + 1, [...entries, ...added]));
}

/** Types in the type section: GC rec groups define several. */
function countTypes(bytes: Uint8Array, s: Section | undefined): number {
  if (!s) return 0;
  const r = new Reader(bytes, s.payloadStart);
  const skipFieldType = () => {
    skipValueType(r);
    r.byte(); // mutability
  };
  const skipSubType = () => {
    let form = r.byte();
    if (form === 0x50 || form === 0x4f) {
      for (let n = r.leb(); n > 0; n--) r.leb();
      form = r.byte();
    }
    if (form === 0x60) {
      for (let n = r.leb(); n > 0; n--) skipValueType(r);
      for (let n = r.leb(); n > 0; n--) skipValueType(r);
    } else if (form === 0x5f) for (let n = r.leb(); n > 0; n--) skipFieldType();
    else if (form === 0x5e) skipFieldType();
    else throw new Error(`unknown type form 0x${form.toString(16)}`);
  };
  let types = 0;
  for (let n = r.leb(); n > 0; n--) {
    if (bytes[r.offset] === 0x4e) {
      r.byte();
      const members = r.leb();
      for (let m = 0; m < members; m++) skipSubType();
      types += members;
    } else {
      skipSubType();
      types++;
    }
  }
  return types;
}

/** The checkpoint's name in backtraces; trap.ts leaves its frame out. */
export const CHECKPOINT_NAME = 'skiff:checkpoint';

/**
 * The `name` custom section with the checkpoint named (function names are sorted by index, and the
 * checkpoint's is the largest); a new one naming only it when the module has none.
 */
function withCheckpointName(bytes: Uint8Array, s: Section | undefined, checkpoint: number): Uint8Array {
  const entry = [...encodeLeb(checkpoint), ...nameBytes(CHECKPOINT_NAME)];
  const subsection = (id: number, content: Uint8Array) =>
    concat([Uint8Array.from([id, ...encodeLeb(content.length)]), content]);
  const onlyOurs = subsection(1, Uint8Array.from(vec(1, entry)));
  const parts: Uint8Array[] = [Uint8Array.from(nameBytes('name'))];
  let named = false;
  if (s) {
    const r = new Reader(bytes, s.payloadStart);
    r.name();
    while (r.offset < s.end) {
      const id = r.byte();
      const size = r.leb();
      const content = bytes.subarray(r.offset, r.offset + size);
      r.skip(size);
      if (id > 1 && !named) {
        parts.push(onlyOurs);
        named = true;
      }
      if (id === 1) {
        const names = new Reader(content);
        const count = names.leb();
        const functionNames = concat([
          Uint8Array.from(encodeLeb(count + 1)),
          content.subarray(names.offset),
          Uint8Array.from(entry),
        ]);
        parts.push(subsection(1, functionNames));
        named = true;
      } else parts.push(subsection(id, content));
    }
  }
  if (!named) parts.push(onlyOurs);
  const payload = concat(parts);
  return concat([Uint8Array.from([0, ...encodeLeb(payload.length)]), payload]);
}

const FUNC_TYPE = { void: [0x60, 0x00, 0x00], i32: [0x60, 0x00, 0x01, 0x7f] } as const;

/** The module, interruptible, its memories created by the host. */
export function makeInterruptible(bytes: Uint8Array): Uint8Array {
  const list = sections(bytes);
  const find = (id: number) => list.find((s) => s.id === id);
  const importList = readImports(bytes, find(SECTION.import));
  const importedMemories = importList.filter((i) => i.kind === KIND.memory).length;
  const memories = entriesOf(bytes, find(SECTION.memory));

  // Defined memories become imports, keeping their indices; the flag memory follows them.
  const imports = entriesOf(bytes, find(SECTION.import));
  const added: number[] = [];
  const mr = new Reader(memories.entries);
  for (let i = 0; i < memories.count; i++) {
    const start = mr.offset;
    readLimits(mr);
    added.push(
      ...nameBytes(HOST_MEMORY),
      ...nameBytes(String(importedMemories + i)),
      KIND.memory,
      ...memories.entries.subarray(start, mr.offset),
    );
  }
  const flagMemory = importedMemories + memories.count;
  // shared, minimum 1 page, maximum 1 page
  added.push(...nameBytes(FLAG_MEMORY.module), ...nameBytes(FLAG_MEMORY.name), KIND.memory, 0x03, 1, 1);
  const importSection = section(
    SECTION.import,
    vec(imports.count + memories.count + 1, [...imports.entries, ...added]),
  );

  // The checkpoint, its two types and the yield table go after everything of their kind.
  const types = countTypes(bytes, find(SECTION.type));
  const voidType = types;
  const askType = types + 1;
  const importedFunctions = importList.filter((i) => i.kind === KIND.func).length;
  const checkpoint = importedFunctions + entriesOf(bytes, find(SECTION.function)).count;
  const yieldTable =
    importList.filter((i) => i.kind === KIND.table).length + entriesOf(bytes, find(SECTION.table)).count;
  const typeEntries = entriesOf(bytes, find(SECTION.type));
  const typeSection = section(
    SECTION.type,
    vec(typeEntries.count + 2, [...typeEntries.entries, ...FUNC_TYPE.void, ...FUNC_TYPE.i32]),
  );
  const hints: BranchHints = [];
  const codeSection = instrumentCode(
    bytes,
    find(SECTION.code),
    checkSequence(flagMemory, checkpoint),
    checkpointBody(flagMemory, yieldTable, { ask: askType, act: voidType }),
    importedFunctions,
    hints,
  );

  const replaced = new Map<number, Uint8Array | null>([
    [SECTION.type, typeSection],
    [SECTION.import, importSection],
    [SECTION.function, appended(bytes, SECTION.function, find(SECTION.function), encodeLeb(voidType))],
    // funcref, 3 entries, at most 3
    [SECTION.table, appended(bytes, SECTION.table, find(SECTION.table), [0x70, 0x01, 3, 3])],
    [SECTION.memory, null],
    [
      SECTION.export,
      appended(bytes, SECTION.export, find(SECTION.export), [
        ...nameBytes(YIELD_TABLE),
        KIND.table,
        ...encodeLeb(yieldTable),
      ]),
    ],
    // The hints must come before the code they describe.
    [SECTION.code, concat([branchHintSection(hints), codeSection])],
  ]);
  const pending = new Map(replaced);
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  const flushBefore = (rank: number) => {
    for (const [id, content] of pending) {
      if (ORDER.indexOf(id) < rank) {
        if (content) out.push(content);
        pending.delete(id);
      }
    }
  };
  const nameSection = list.find((s) => s.id === 0 && new Reader(bytes, s.payloadStart).name() === 'name');
  for (const s of list) {
    if (s === nameSection) {
      flushBefore(ORDER.length);
      out.push(withCheckpointName(bytes, s, checkpoint));
      continue;
    }
    if (s.id === 0) {
      out.push(bytes.subarray(s.start, s.end));
      continue;
    }
    flushBefore(ORDER.indexOf(s.id));
    if (pending.has(s.id)) {
      const content = pending.get(s.id);
      if (content) out.push(content);
      pending.delete(s.id);
    } else if (!replaced.has(s.id)) out.push(bytes.subarray(s.start, s.end));
  }
  flushBefore(ORDER.length);
  if (!nameSection) out.push(withCheckpointName(bytes, undefined, checkpoint));
  return concat(out);
}

/** The memories the host must create for an instance of an interruptible module, in import order. */
export interface HostMemory {
  index: string;
  descriptor: WebAssembly.MemoryDescriptor & { shared?: boolean; address?: 'i32' | 'i64' };
}

export function hostMemories(bytes: Uint8Array): HostMemory[] {
  const imports = readImports(
    bytes,
    sections(bytes).find((x) => x.id === SECTION.import),
  );
  return imports.flatMap(({ module, name, limits }) => {
    if (module !== HOST_MEMORY || !limits) return [];
    const descriptor: HostMemory['descriptor'] = { initial: limits.initial };
    if (limits.maximum !== undefined) descriptor.maximum = limits.maximum;
    if (limits.flags & 2) descriptor.shared = true;
    if (limits.flags & 4) descriptor.address = 'i64';
    return [{ index: name, descriptor }];
  });
}

/** Creates one of those memories; 64-bit memories take their sizes as BigInts. */
export function createHostMemory({ descriptor }: HostMemory): WebAssembly.Memory {
  if (descriptor.address !== 'i64') return new WebAssembly.Memory(descriptor);
  const { initial, maximum } = descriptor;
  const sizes = { initial: BigInt(initial), ...(maximum !== undefined && { maximum: BigInt(maximum) }) };
  return new WebAssembly.Memory({ ...descriptor, ...sizes } as unknown as WebAssembly.MemoryDescriptor);
}
