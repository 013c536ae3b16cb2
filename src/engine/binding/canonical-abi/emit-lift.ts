/**
 * Generates code that lifts guest values into JS values: from flat core values (`lift_flat`)
 * and from linear memory (`load`). Each function emits statements and returns an expression
 * for the value, used exactly once by the caller.
 */
import type { ValueType } from '../value-types.ts';
import { addr, type Emitter, ENCODING_SUFFIX } from './emitter.ts';
import { type CoreType, flattenVariant } from './flatten.ts';
import { lowerCamelCase } from './js-names.ts';
import { alignment, elemSize, recordLayout, shapeOf, variantLayout } from './layout.ts';
import { numericKindIndex } from './lists.ts';
import { numericElement, optionIsNullable, valueTypeKey } from './type-walk.ts';

/** Core values being lifted, in order, each converted to the type its reader wants (`CoerceValueIter`). */
export class SlotReader {
  #i = 0;
  readonly exprs: readonly string[];
  readonly types: readonly CoreType[];
  constructor(exprs: readonly string[], types: readonly CoreType[]) {
    this.exprs = exprs;
    this.types = types;
  }

  next(want: CoreType): string {
    const i = this.#i++;
    const x = this.exprs[i];
    const have = this.types[i];
    if (x === undefined || have === undefined) throw new Error('lifting read past the flat values');
    if (have === want) return x;
    if (have === 'i32' && want === 'f32') return `i32ToF32(${x})`;
    if (have === 'i64' && want === 'i32') return `Number(BigInt.asIntN(32, ${x}))`;
    if (have === 'i64' && want === 'f32') return `i32ToF32(Number(BigInt.asIntN(32, ${x})))`;
    if (have === 'i64' && want === 'f64') return `i64ToF64(${x})`;
    throw new Error(`cannot lift ${want} from a joined ${have}`);
  }
}

const liftString = (e: Emitter): string => `liftString${ENCODING_SUFFIX[e.stringEncoding]}`;

function intFromI32(name: string, x: string): string {
  switch (name) {
    case 'bool':
      return `(${x} !== 0)`;
    case 'u8':
      return `(${x} & 255)`;
    case 's8':
      return `(${x} << 24 >> 24)`;
    case 'u16':
      return `(${x} & 65535)`;
    case 's16':
      return `(${x} << 16 >> 16)`;
    case 'u32':
      return `(${x} >>> 0)`;
    default:
      return `(${x} | 0)`;
  }
}

export function liftFlat(e: Emitter, t: ValueType, r: SlotReader): string {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'u64':
          return `BigInt.asUintN(64, ${r.next('i64')})`;
        case 's64':
          return r.next('i64');
        case 'f32':
          return r.next('f32');
        case 'f64':
          return r.next('f64');
        case 'char':
          return `liftChar(${r.next('i32')} >>> 0)`;
        case 'string': {
          const p = r.next('i32');
          const n = r.next('i32');
          return e.bind(`${liftString(e)}(m, ${p} >>> 0, ${n} >>> 0)`);
        }
        case 'error-context':
          return `H.errorContext(${r.next('i32')} >>> 0)`;
        default:
          return intFromI32(t.name, r.next('i32'));
      }
    case 'list': {
      if (t.length !== undefined) {
        const items: string[] = [];
        for (let i = 0; i < t.length; i++) items.push(e.bind(liftFlat(e, t.element, r)));
        return e.bind(`[${items.join(', ')}]`);
      }
      const p = r.next('i32');
      const n = r.next('i32');
      return liftListFromRange(e, t.element, `${p} >>> 0`, `${n} >>> 0`);
    }
    case 'record':
      return recordValue(
        e,
        t.fields.map((f) => f.name),
        t.fields.map((f) => e.bind(liftFlat(e, f.type, r))),
      );
    case 'tuple':
      return e.bind(`[${t.types.map((u) => e.bind(liftFlat(e, u, r))).join(', ')}]`);
    case 'flags': {
      const bits = e.bind(r.next('i32'), 'f');
      return flagsValue(e, t.names, bits);
    }
    case 'own':
    case 'borrow':
      return liftHandle(e, t, `${r.next('i32')} >>> 0`);
    case 'future':
    case 'stream':
      return liftReadableEnd(e, t, `${r.next('i32')} >>> 0`);
    default: {
      const s = shapeOf(t);
      if (s.kind !== 'variant') throw new Error('unreachable');
      const joined = flattenVariant(s.cases).slice(1);
      const d = r.next('i32');
      const slots = joined.map((ty) => r.next(ty));
      return liftVariant(e, t, `${d} >>> 0`, (c) => liftFlat(e, c, new SlotReader(slots, joined)));
    }
  }
}

export function load(e: Emitter, t: ValueType, p: string): string {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'bool':
          return `(m.u8[${p}] !== 0)`;
        case 'u8':
          return `m.u8[${p}]`;
        case 's8':
          return `m.dv.getInt8(${p})`;
        case 'u16':
          return `m.dv.getUint16(${p}, true)`;
        case 's16':
          return `m.dv.getInt16(${p}, true)`;
        case 'u32':
          return `m.dv.getUint32(${p}, true)`;
        case 's32':
          return `m.dv.getInt32(${p}, true)`;
        case 'u64':
          return `m.dv.getBigUint64(${p}, true)`;
        case 's64':
          return `m.dv.getBigInt64(${p}, true)`;
        case 'f32':
          return `m.dv.getFloat32(${p}, true)`;
        case 'f64':
          return `m.dv.getFloat64(${p}, true)`;
        case 'char':
          return `liftChar(m.dv.getUint32(${p}, true))`;
        case 'string':
          return e.bind(
            `${liftString(e)}(m, m.dv.getUint32(${p}, true), m.dv.getUint32(${addr(p, 4)}, true))`,
          );
        case 'error-context':
          return `H.errorContext(m.dv.getUint32(${p}, true))`;
      }
      break;
    case 'list': {
      if (t.length !== undefined) {
        const size = elemSize(t.element);
        const items: string[] = [];
        for (let i = 0; i < t.length; i++) items.push(e.bind(load(e, t.element, addr(p, i * size))));
        return e.bind(`[${items.join(', ')}]`);
      }
      return liftListFromRange(
        e,
        t.element,
        `m.dv.getUint32(${p}, true)`,
        `m.dv.getUint32(${addr(p, 4)}, true)`,
      );
    }
    case 'record': {
      const { offsets } = recordLayout(t.fields.map((f) => f.type));
      return recordValue(
        e,
        t.fields.map((f) => f.name),
        t.fields.map((f, i) => e.bind(load(e, f.type, addr(p, offsets[i] as number)))),
      );
    }
    case 'tuple': {
      const { offsets } = recordLayout(t.types);
      return e.bind(
        `[${t.types.map((u, i) => e.bind(load(e, u, addr(p, offsets[i] as number)))).join(', ')}]`,
      );
    }
    case 'flags': {
      const read =
        t.names.length <= 8
          ? `m.u8[${p}]`
          : t.names.length <= 16
            ? `m.dv.getUint16(${p}, true)`
            : `m.dv.getInt32(${p}, true)`;
      return flagsValue(e, t.names, e.bind(read, 'f'));
    }
    case 'own':
    case 'borrow':
      return liftHandle(e, t, `m.dv.getUint32(${p}, true)`);
    case 'future':
    case 'stream':
      return liftReadableEnd(e, t, `m.dv.getUint32(${p}, true)`);
    default: {
      const s = shapeOf(t);
      if (s.kind !== 'variant') throw new Error('unreachable');
      const layout = variantLayout(s.cases);
      const d =
        layout.discriminant === 'u8'
          ? `m.u8[${p}]`
          : layout.discriminant === 'u16'
            ? `m.dv.getUint16(${p}, true)`
            : `m.dv.getUint32(${p}, true)`;
      const payload = addr(p, layout.payloadOffset);
      return liftVariant(e, t, d, (c) => load(e, c, payload));
    }
  }
  throw new Error('unreachable');
}

/** A list in memory at `p` with `n` elements (`load_list_from_range`). */
function liftListFromRange(e: Emitter, element: ValueType, p: string, n: string): string {
  const numeric = numericElement(element);
  if (numeric !== undefined) return e.bind(`liftNumericList(m, ${p}, ${n}, ${numericKindIndex(numeric)})`);
  const size = elemSize(element);
  const ptr = e.tmp('p');
  const len = e.tmp('n');
  const out = e.tmp('l');
  const i = e.tmp('i');
  e.line(`const ${ptr} = ${p}, ${len} = ${n};`);
  e.line(`checkListRange(m, ${ptr}, ${len}, ${size}, ${alignment(element)});`);
  e.line(`const ${out} = [];`);
  e.open(`for (let ${i} = 0; ${i} < ${len}; ${i}++) {`);
  const base = e.bind(`${ptr} + ${i} * ${size}`, 'b');
  e.line(`${out}.push(${load(e, element, base)});`);
  e.close();
  return out;
}

function recordValue(e: Emitter, names: string[], values: string[]): string {
  const fields = names.map((name, i) => `${JSON.stringify(lowerCamelCase(name))}: ${values[i]}`);
  return e.bind(`{ ${fields.join(', ')} }`);
}

function flagsValue(e: Emitter, names: string[], bits: string): string {
  // Bits past the last name are ignored, as `unpack_flags_from_int` does (jco throws on them).
  const fields = names.map(
    (name, i) => `${JSON.stringify(lowerCamelCase(name))}: (${bits} & ${2 ** i}) !== 0`,
  );
  return e.bind(`{ ${fields.join(', ')} }`);
}

/** Handles: an own moves out of the table; a borrow is lent until the call returns. */
/** A `stream<T>` or `future<T>` handle: the readable end leaves the guest's table for the host. */
function liftReadableEnd(e: Emitter, t: ValueType & { kind: 'stream' | 'future' }, index: string): string {
  return e.bind(`liftReadable(inst, "${t.kind}", ${index}, ${JSON.stringify(valueTypeKey(t.type))})`, 's');
}

function liftHandle(e: Emitter, t: ValueType & { kind: 'own' | 'borrow' }, index: string): string {
  const rt = e.resource(t.resource);
  if (t.kind === 'own') {
    const rep = `H.liftOwn(${index}, ${rt})`;
    return e.bind(t.resource.imported ? rep : `new GuestResource(${rt}, ${rep}, true)`);
  }
  const rep = `H.liftBorrow(${index}, ${rt})`;
  return e.bind(t.resource.imported ? rep : `new GuestResource(${rt}, ${rep}, false)`);
}

/** The JS value of case `i` of a variant-like type, given its lifted payload. */
function caseValue(t: ValueType, i: number, payload: string | undefined): string {
  switch (t.kind) {
    case 'variant': {
      const tag = JSON.stringify((t.cases[i] as { name: string }).name);
      return payload === undefined ? `{ tag: ${tag} }` : `{ tag: ${tag}, val: ${payload} }`;
    }
    case 'option':
      if (optionIsNullable(t)) return i === 0 ? 'undefined' : (payload as string);
      return i === 0 ? `{ tag: "none" }` : `{ tag: "some", val: ${payload} }`;
    case 'result':
      // jco always sets `val`, also for a case without payload.
      return `{ tag: ${i === 0 ? '"ok"' : '"err"'}, val: ${payload ?? 'undefined'} }`;
    default:
      throw new Error('unreachable');
  }
}

/**
 * Lifts a variant, enum, option or result with discriminant `d`; `payload` lifts a case's
 * payload (emitting code inside that case). With `assign`, each case hands its index and payload
 * to the caller instead of building the JS value (a top-level `result` of an export).
 */
export function liftVariant(
  e: Emitter,
  t: ValueType,
  d: string,
  payload: (c: ValueType) => string,
  assign?: (i: number, payload: string | undefined) => void,
): string {
  const s = shapeOf(t);
  if (s.kind !== 'variant') throw new Error('unreachable');
  const described = describeCases(t);
  if (t.kind === 'enum' && !assign) {
    const names = e.constant(t.names);
    const index = e.bind(d, 'd');
    const out = e.tmp('v');
    e.line(`const ${out} = ${names}[${index}];`);
    e.line(
      `if (${out} === undefined) trap("invalid-discriminant", "case " + ${index} + " of ${described}");`,
    );
    return out;
  }
  const out = e.tmp('v');
  if (!assign) e.line(`let ${out};`);
  e.open(`switch (${d}) {`);
  s.cases.forEach((c, i) => {
    e.open(`case ${i}: {`);
    const x = c === undefined ? undefined : e.bind(payload(c));
    if (assign) assign(i, x);
    else e.line(`${out} = ${caseValue(t, i, x)};`);
    e.line('break;');
    e.close();
  });
  e.line(`default: trap("invalid-discriminant", "case " + (${d}) + " of ${described}");`);
  e.close();
  return out;
}

function describeCases(t: ValueType): string {
  const cases =
    t.kind === 'variant'
      ? t.cases.map((c) => c.name)
      : t.kind === 'enum'
        ? t.names
        : t.kind === 'option'
          ? ['none', 'some']
          : ['ok', 'err'];
  const shown = cases.length > 8 ? [...cases.slice(0, 8), '…'] : cases;
  return `${t.kind} (${shown.join(' ')})`.replaceAll('"', '');
}
