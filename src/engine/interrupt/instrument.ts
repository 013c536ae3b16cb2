/**
 * Makes a core module interruptible. V8 has neither fuel nor epochs, so the check is compiled into
 * the guest: at every loop header, and at the entry of every function that calls another (the only
 * ways code can run unboundedly), it reads the instance's slot in a shared flag memory and traps if
 * the watchdog has written the instance's current ticket there.
 *
 *   global.get $slot ; i32.atomic.load (flag memory) ; global.get $ticket ; i32.eq ; if unreachable end
 *
 * The flag memory is one per thread and imported. Its index must not shift the module's own
 * memories (V8 keeps memory 0's base in a register; any other index costs a load per access), so
 * memories the module defines become imports the host creates with the same limits, in the same
 * order, and the flag memory comes last. Two globals are appended (appending shifts no index) and
 * exported so the host can set them. Nothing else in the module moves.
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
import { CALL_OPCODES, OP, readInstruction } from './instructions.ts';

/** Import module of the memories a module used to define; the field is the memory's index. */
export const HOST_MEMORY = 'skiff:memory';
export const FLAG_MEMORY = { module: 'skiff:interrupt', name: 'flags' } as const;
export const SLOT_EXPORT = 'skiff:interrupt$slot';
export const TICKET_EXPORT = 'skiff:interrupt$ticket';
/** A ticket the watchdog never writes, so a new instance runs until it is armed. */
export const NO_TICKET = -1;

const SECTION = { import: 2, memory: 5, global: 6, export: 7, code: 10 } as const;
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

function checkSequence(slotGlobal: number, ticketGlobal: number, flagMemory: number): Uint8Array {
  const variant = process.env.SKIFF_CHECK ?? 'ticket-atomic';
  const mem = (align: number) =>
    flagMemory === 0 ? [align, 0x00] : [align | 0x40, ...encodeLeb(flagMemory), 0x00];
  if (variant === 'byte-plain')
    return Uint8Array.from([0x23, ...encodeLeb(slotGlobal), 0x2d, ...mem(0), 0x04, 0x40, 0x00, 0x0b]);
  if (variant === 'byte-atomic')
    return Uint8Array.from([0x23, ...encodeLeb(slotGlobal), 0xfe, 0x12, ...mem(0), 0x04, 0x40, 0x00, 0x0b]);
  if (variant === 'ticket-plain')
    return Uint8Array.from([
      0x23,
      ...encodeLeb(slotGlobal),
      0x28,
      ...mem(2),
      0x23,
      ...encodeLeb(ticketGlobal),
      0x46,
      0x04,
      0x40,
      0x00,
      0x0b,
    ]);
  return Uint8Array.from([
    0x23,
    ...encodeLeb(slotGlobal),
    0xfe,
    0x10,
    ...mem(2),
    0x23,
    ...encodeLeb(ticketGlobal),
    0x46,
    0x04,
    0x40,
    0x00,
    0x0b,
  ]);
}

/** Every function body, with checks at its entry (if it calls) and after each loop header. */
function instrumentCode(bytes: Uint8Array, code: Section, check: Uint8Array): Uint8Array {
  const r = new Reader(bytes, code.payloadStart);
  const count = r.leb();
  const parts: Uint8Array[] = [Uint8Array.from(encodeLeb(count))];
  const pieces: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    const size = r.leb();
    const bodyStart = r.offset;
    const bodyEnd = bodyStart + size;
    for (let n = r.leb(); n > 0; n--) {
      r.leb();
      skipValueType(r);
    }
    const localsEnd = r.offset;
    pieces.length = 0;
    let calls = false;
    let from = localsEnd;
    while (r.offset < bodyEnd) {
      const op = readInstruction(r);
      if (op === OP.loop) {
        pieces.push(bytes.subarray(from, r.offset), check);
        from = r.offset;
      } else if (CALL_OPCODES.has(op)) calls = true;
    }
    if (r.offset !== bodyEnd) throw new Error(`function ${f}: instructions overrun the body`);
    pieces.push(bytes.subarray(from, bodyEnd));
    // A function without calls or loops runs in bounded time: it needs no check.
    if (calls) pieces.unshift(check);
    pieces.unshift(bytes.subarray(bodyStart, localsEnd));
    const bodySize = pieces.reduce((n, p) => n + p.length, 0);
    parts.push(Uint8Array.from(encodeLeb(bodySize)), ...pieces);
  }
  const payload = concat(parts);
  return concat([Uint8Array.from([SECTION.code, ...encodeLeb(payload.length)]), payload]);
}

/** The module, interruptible, its memories created by the host. */
export function makeInterruptible(bytes: Uint8Array): Uint8Array {
  const list = sections(bytes);
  const find = (id: number) => list.find((s) => s.id === id);
  const code = find(SECTION.code);
  const importList = readImports(bytes, find(SECTION.import));
  const imported = {
    memories: importList.filter((i) => i.kind === KIND.memory).length,
    globals: importList.filter((i) => i.kind === KIND.global).length,
  };
  const memories = entriesOf(bytes, find(SECTION.memory));
  const globals = entriesOf(bytes, find(SECTION.global));
  const exportsOf = entriesOf(bytes, find(SECTION.export));

  // Defined memories become imports, keeping their indices; the flag memory follows them.
  const imports = entriesOf(bytes, find(SECTION.import));
  const added: number[] = [];
  const mr = new Reader(memories.entries);
  for (let i = 0; i < memories.count; i++) {
    const start = mr.offset;
    readLimits(mr);
    added.push(
      ...nameBytes(HOST_MEMORY),
      ...nameBytes(String(imported.memories + i)),
      KIND.memory,
      ...memories.entries.subarray(start, mr.offset),
    );
  }
  const flagMemory = imported.memories + memories.count;
  // shared, minimum 1 page, maximum 1 page
  added.push(...nameBytes(FLAG_MEMORY.module), ...nameBytes(FLAG_MEMORY.name), KIND.memory, 0x03, 1, 1);
  const importSection = section(
    SECTION.import,
    vec(imports.count + memories.count + 1, [...imports.entries, ...added]),
  );

  const slotGlobal = imported.globals + globals.count;
  const ticketGlobal = slotGlobal + 1;
  const i32Mutable = [0x7f, 0x01];
  const globalSection = section(
    SECTION.global,
    vec(globals.count + 2, [
      ...globals.entries,
      ...i32Mutable,
      0x41,
      0x00,
      0x0b, // slot: i32.const 0
      ...i32Mutable,
      0x41,
      0x7f,
      0x0b, // ticket: i32.const -1 (NO_TICKET)
    ]),
  );
  const exportSection = section(
    SECTION.export,
    vec(exportsOf.count + 2, [
      ...exportsOf.entries,
      ...nameBytes(SLOT_EXPORT),
      KIND.global,
      ...encodeLeb(slotGlobal),
      ...nameBytes(TICKET_EXPORT),
      KIND.global,
      ...encodeLeb(ticketGlobal),
    ]),
  );
  const codeSection =
    code && instrumentCode(bytes, code, checkSequence(slotGlobal, ticketGlobal, flagMemory));

  const replaced = new Map<number, Uint8Array | null>([
    [SECTION.import, importSection],
    [SECTION.memory, null],
    [SECTION.global, globalSection],
    [SECTION.export, exportSection],
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
