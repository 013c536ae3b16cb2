/**
 * Makes a core module interruptible. V8 has neither fuel nor epochs, so the check is compiled into
 * the guest: at every loop header, and at the entry of every function that may take part in an
 * endless chain of calls (call-graph.ts) — the only ways code can run unboundedly — it reads the
 * instance's flag and traps if the flag is set:
 *
 *   i32.const 0 ; i32.atomic.load8_u (flag memory) ; if unreachable end
 *
 * The flag memory is one shared page per component instance, imported by each of its core
 * modules, so the address is a constant (the cheapest check V8 compiles: see BENCHMARKS.md). Its
 * index must not shift the module's own memories (V8 keeps memory 0's base in a register; any
 * other index costs a load per access), so memories the module defines become imports the host
 * creates with the same limits, in the same order, and the flag memory comes last. Nothing else in
 * the module moves. controller.ts owns what the flag word means.
 */
import {
  EXTERNAL_KIND,
  encodeLeb,
  Reader,
  readImports,
  readLimits,
  type Section,
  sections,
  skipValueType,
} from '../wasm-binary.ts';
import { needsEntryCheck } from './call-graph.ts';
import { CALL_OPCODES, OP, readInstruction } from './instructions.ts';

/** Import module of the memories a module used to define; the field is the memory's index. */
export const HOST_MEMORY = 'skiff:memory';
export const FLAG_MEMORY = { module: 'skiff:interrupt', name: 'flags' } as const;
/**
 * The check reads the low byte of the flag word, zero while the instance runs (tickets are
 * multiples of 256) and 0xff once tripped (-1). Offset 0 measured cheaper than the high byte.
 */
const FLAG_BYTE = 0;

const SECTION = { import: 2, memory: 5, code: 10 } as const;
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

function checkSequence(flagMemory: number): Uint8Array {
  // Bit 6 of the alignment says a memory index follows (multi-memory).
  const memarg = flagMemory === 0 ? [0x00] : [0x40, ...encodeLeb(flagMemory)];
  return Uint8Array.from([
    0x41,
    0x00, // i32.const 0
    0xfe,
    0x12,
    ...memarg,
    FLAG_BYTE, // i32.atomic.load8_u offset=0
    0x04,
    0x40, // if (empty block type)
    0x00, // unreachable
    0x0b, // end
  ]);
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

/** Every function body, with a check after each loop header, and at its entry where call-graph.ts says. */
function instrumentCode(
  bytes: Uint8Array,
  code: Section,
  check: Uint8Array,
  importedFunctions: number,
): Uint8Array {
  const scans = scanFunctions(bytes, code, importedFunctions);
  const entryChecked = needsEntryCheck(
    scans.map((s) => s.callees),
    scans.map((s) => s.opaque),
  );
  const parts: Uint8Array[] = [Uint8Array.from(encodeLeb(scans.length))];
  scans.forEach((scan, f) => {
    const pieces: Uint8Array[] = [bytes.subarray(scan.bodyStart, scan.localsEnd)];
    if (entryChecked[f]) pieces.push(check);
    let from = scan.localsEnd;
    for (const header of scan.loopHeaders) {
      pieces.push(bytes.subarray(from, header), check);
      from = header;
    }
    pieces.push(bytes.subarray(from, scan.bodyEnd));
    const bodySize = pieces.reduce((n, p) => n + p.length, 0);
    parts.push(Uint8Array.from(encodeLeb(bodySize)), ...pieces);
  });
  const payload = concat(parts);
  return concat([Uint8Array.from([SECTION.code, ...encodeLeb(payload.length)]), payload]);
}

/** The module, interruptible, its memories created by the host. */
export function makeInterruptible(bytes: Uint8Array): Uint8Array {
  const list = sections(bytes);
  const find = (id: number) => list.find((s) => s.id === id);
  const code = find(SECTION.code);
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

  const importedFunctions = importList.filter((i) => i.kind === KIND.func).length;
  const codeSection = code && instrumentCode(bytes, code, checkSequence(flagMemory), importedFunctions);

  const replaced = new Map<number, Uint8Array | null>([
    [SECTION.import, importSection],
    [SECTION.memory, null],
  ]);
  if (codeSection) replaced.set(SECTION.code, codeSection);
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
  for (const s of list) {
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
