/**
 * Generates code that lowers JS values into the guest: into flat core values (`lower_flat`) and
 * into linear memory (`store`). Host values are taken as jco's glue takes them: numbers wrap to
 * their width, `u64`/`s64` accept bigints (and integers), options accept `undefined` or `null` for
 * `none`, flags accept a missing object as all-false; impossible values throw a TypeError.
 */
import type { ValueType } from '../value-types.ts';
import { addr, type Emitter, ENCODING_SUFFIX } from './emitter.ts';
import { type CoreType, flattenType, flattenVariant } from './flatten.ts';
import { lowerCamelCase, propertyAccess } from './js-names.ts';
import {
  alignment,
  elemSize,
  flagsSize,
  InvalidValueTypeError,
  recordLayout,
  shapeOf,
  variantLayout,
} from './layout.ts';
import { numericKindIndex } from './lists.ts';
import { numericElement, optionIsNullable, valueTypeKey } from './type-walk.ts';

const lowerString = (e: Emitter): string => `lowerString${ENCODING_SUFFIX[e.stringEncoding]}`;

function intToI32(name: string, v: string): string {
  switch (name) {
    case 'bool':
      return `(${v} ? 1 : 0)`;
    case 'u8':
      return `(${v} & 255)`;
    case 's8':
      return `(${v} << 24 >> 24)`;
    case 'u16':
      return `(${v} & 65535)`;
    case 's16':
      return `(${v} << 16 >> 16)`;
    case 'u32':
      return `(${v} >>> 0)`;
    default:
      return `(${v} | 0)`;
  }
}

/** A flat value of core type `have` in a variant slot of the joined type `want`. */
function coerce(have: CoreType, want: CoreType, x: string): string {
  if (have === want) return x;
  if (have === 'f32' && want === 'i32') return `f32ToI32(${x})`;
  if (have === 'i32' && want === 'i64') return `BigInt(${x} >>> 0)`;
  if (have === 'f32' && want === 'i64') return `BigInt(f32ToI32(${x}) >>> 0)`;
  if (have === 'f64' && want === 'i64') return `f64ToI64(${x})`;
  throw new Error(`cannot lower ${have} into a joined ${want}`);
}

/** Lowers `v` (an expression, evaluated once) to flat values; returns their expressions. */
export function lowerFlat(e: Emitter, t: ValueType, v: string): string[] {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'u64':
        case 's64':
          return [`BigInt(${v})`];
        case 'f32':
        case 'f64':
          return [`(+${v})`];
        case 'char':
          return [`lowerChar(${v})`];
        case 'string': {
          const p = e.bind(`${lowerString(e)}(cx, ${v})`, 'p');
          return [p, e.bind('m.lastLength', 'n')];
        }
        case 'error-context':
          return [`H.addErrorContext(${errorContext(v)})`];
        default:
          return [intToI32(t.name, v)];
      }
    case 'list': {
      if (t.length !== undefined) {
        const o = e.bind(v, 'o');
        const flat: string[] = [];
        for (let i = 0; i < t.length; i++) flat.push(...lowerFlat(e, t.element, e.bind(`${o}[${i}]`)));
        return flat;
      }
      return lowerListIntoRange(e, t.element, v);
    }
    case 'record': {
      const o = e.bind(v, 'o');
      return t.fields.flatMap((f) => lowerFlat(e, f.type, e.bind(propertyAccess(o, lowerCamelCase(f.name)))));
    }
    case 'tuple': {
      const o = e.bind(v, 'o');
      return t.types.flatMap((u, i) => lowerFlat(e, u, e.bind(`${o}[${i}]`)));
    }
    case 'flags':
      return [flagsBits(e, t.names, v)];
    case 'own':
    case 'borrow':
      return [lowerHandle(e, t, v)];
    case 'future':
    case 'stream':
      return [lowerReadableEnd(e, t, v)];
    default:
      return lowerFlatVariant(e, t, dispatchOf(e, t, v));
  }
}

/** The statement storing a number, bool or char `v` at `p`. */
function storeScalar(name: string, v: string, p: string): string | undefined {
  switch (name) {
    case 'bool':
      return `m.u8[${p}] = ${v} ? 1 : 0;`;
    case 'u8':
      return `m.u8[${p}] = ${v};`;
    case 's8':
      return `m.dv.setInt8(${p}, ${v});`;
    case 'u16':
      return `m.dv.setUint16(${p}, ${v}, true);`;
    case 's16':
      return `m.dv.setInt16(${p}, ${v}, true);`;
    case 'u32':
      return `m.dv.setUint32(${p}, ${v}, true);`;
    case 's32':
      return `m.dv.setInt32(${p}, ${v}, true);`;
    case 'u64':
      return `m.dv.setBigUint64(${p}, BigInt(${v}), true);`;
    case 's64':
      return `m.dv.setBigInt64(${p}, BigInt(${v}), true);`;
    case 'f32':
      return `m.dv.setFloat32(${p}, ${v}, true);`;
    case 'f64':
      return `m.dv.setFloat64(${p}, ${v}, true);`;
    case 'char':
      return `m.dv.setUint32(${p}, lowerChar(${v}), true);`;
    default:
      return undefined;
  }
}

/** Lowers `v` into memory at address `p` (an identifier or `(identifier + n)`). */
export function store(e: Emitter, t: ValueType, v: string, p: string): void {
  switch (t.kind) {
    case 'primitive': {
      const scalar = storeScalar(t.name, v, p);
      if (scalar !== undefined) e.line(scalar);
      else if (t.name === 'string') {
        const sp = e.bind(`${lowerString(e)}(cx, ${v})`, 'p');
        e.line(`m.dv.setUint32(${p}, ${sp}, true);`);
        e.line(`m.dv.setUint32(${addr(p, 4)}, m.lastLength, true);`);
      } else e.line(`m.dv.setUint32(${p}, H.addErrorContext(${errorContext(v)}), true);`);
      return;
    }
    case 'list': {
      if (t.length !== undefined) {
        const o = e.bind(v, 'o');
        const size = elemSize(t.element);
        for (let i = 0; i < t.length; i++) store(e, t.element, e.bind(`${o}[${i}]`), addr(p, i * size));
        return;
      }
      const [lp, ln] = lowerListIntoRange(e, t.element, v) as [string, string];
      e.line(`m.dv.setUint32(${p}, ${lp}, true);`);
      e.line(`m.dv.setUint32(${addr(p, 4)}, ${ln}, true);`);
      return;
    }
    case 'record': {
      const o = e.bind(v, 'o');
      const { offsets } = recordLayout(t.fields.map((f) => f.type));
      t.fields.forEach((f, i) => {
        store(e, f.type, e.bind(propertyAccess(o, lowerCamelCase(f.name))), addr(p, offsets[i] as number));
      });
      return;
    }
    case 'tuple': {
      const o = e.bind(v, 'o');
      const { offsets } = recordLayout(t.types);
      t.types.forEach((u, i) => {
        store(e, u, e.bind(`${o}[${i}]`), addr(p, offsets[i] as number));
      });
      return;
    }
    case 'flags': {
      const bits = flagsBits(e, t.names, v);
      const size = flagsSize(t.names.length);
      if (size === 1) e.line(`m.u8[${p}] = ${bits};`);
      else if (size === 2) e.line(`m.dv.setUint16(${p}, ${bits}, true);`);
      else e.line(`m.dv.setInt32(${p}, ${bits}, true);`);
      return;
    }
    case 'own':
    case 'borrow':
      e.line(`m.dv.setUint32(${p}, ${lowerHandle(e, t, v)}, true);`);
      return;
    case 'future':
    case 'stream':
      e.line(`m.dv.setUint32(${p}, ${lowerReadableEnd(e, t, v)}, true);`);
      return;
    default: {
      const s = shapeOf(t);
      if (s.kind !== 'variant') throw new Error('unreachable');
      const layout = variantLayout(s.cases);
      const payloadAt = addr(p, layout.payloadOffset);
      const dispatch = dispatchOf(e, t, v);
      dispatch((i, payload) => {
        if (layout.discriminant === 'u8') e.line(`m.u8[${p}] = ${i};`);
        else if (layout.discriminant === 'u16') e.line(`m.dv.setUint16(${p}, ${i}, true);`);
        else e.line(`m.dv.setUint32(${p}, ${i}, true);`);
        const c = s.cases[i];
        if (c !== undefined) store(e, c, payload as string, payloadAt);
      });
      return;
    }
  }
}

function errorContext(v: string): string {
  return `(${v} instanceof ErrorContext ? ${v} : (() => { throw new TypeError("expected an ErrorContext"); })())`;
}

/** A list allocated with `realloc` and filled (`store_list_into_range`); returns [ptr, length]. */
function lowerListIntoRange(e: Emitter, element: ValueType, v: string): string[] {
  const numeric = numericElement(element);
  if (numeric !== undefined) {
    const p = e.bind(`lowerNumericList(cx, ${v}, ${numericKindIndex(numeric)})`, 'p');
    return [p, e.bind('m.lastLength', 'n')];
  }
  const size = elemSize(element);
  const list = e.bind(v, 'o');
  const len = e.bind(`listLength(${list}, ${size})`, 'n');
  const ptr = e.bind(`allocate(cx, ${alignment(element)}, ${len} * ${size})`, 'p');
  const i = e.tmp('i');
  e.open(`for (let ${i} = 0; ${i} < ${len}; ${i}++) {`);
  const base = e.bind(`${ptr} + ${i} * ${size}`, 'b');
  store(e, element, e.bind(`${list}[${i}]`), base);
  e.close();
  return [ptr, len];
}

function flagsBits(e: Emitter, names: string[], v: string): string {
  const o = e.bind(v, 'o');
  const bits = e.tmp('f');
  e.line(`let ${bits} = 0;`);
  const terms = names.map((name, i) => `(${propertyAccess(o, lowerCamelCase(name))} ? ${2 ** i} : 0)`);
  e.open(`if (typeof ${o} === "object" && ${o} !== null) {`);
  e.line(`${bits} = ${terms.join(' | ')};`);
  e.reopen(`} else if (${o} !== undefined && ${o} !== null) {`);
  e.line('throw new TypeError("only an object, undefined or null can be converted to flags");');
  e.close();
  return bits;
}

/** Handles into the guest: a new own handle, or a borrow scoped to the export call. */
/** A host-made stream or future (`HostStream`, `HostFuture`): its readable end joins the guest's table. */
function lowerReadableEnd(e: Emitter, t: ValueType & { kind: 'stream' | 'future' }, v: string): string {
  return e.bind(`lowerReadable(inst, "${t.kind}", ${v}, ${JSON.stringify(valueTypeKey(t.type))})`, 'h');
}

function lowerHandle(e: Emitter, t: ValueType & { kind: 'own' | 'borrow' }, v: string): string {
  const rt = e.resource(t.resource);
  if (!t.resource.imported) {
    // A resource of the guest itself: an own goes back in its table, a borrow is just its rep.
    const rep = `guestResourceRep(${v}, ${rt}, ${t.kind === 'own'})`;
    return e.bind(t.kind === 'own' ? `H.addOwn(${rt}, ${rep})` : rep, 'h');
  }
  const rep = `hostResource(${v}, ${rt})`;
  return e.bind(
    t.kind === 'own' ? `H.addOwn(${rt}, ${rep})` : `H.addBorrow(${rt}, ${rep}, ${e.borrowScope})`,
    'h',
  );
}

/**
 * How a host value selects a case: returns a function that emits the selection, calling `body`
 * inside each case with the case index and the payload expression.
 */
export type Dispatch = (body: (i: number, payload: string | undefined) => void) => void;

export function dispatchOf(e: Emitter, t: ValueType, v: string): Dispatch {
  const o = e.bind(v, 'o');
  const tagged =
    (labels: string[], hasPayload: (i: number) => boolean, typeName: string): Dispatch =>
    (body) => {
      e.open(`switch (${o}.tag) {`);
      labels.forEach((label, i) => {
        e.open(`case ${JSON.stringify(label)}: {`);
        body(i, hasPayload(i) ? e.bind(`${o}.val`) : undefined);
        e.line('break;');
        e.close();
      });
      e.line(
        `default: throw new TypeError("invalid ${typeName} tag " + JSON.stringify(${o}?.tag) + " (expected one of ${labels.join(', ')})");`,
      );
      e.close();
    };
  switch (t.kind) {
    case 'variant':
      return tagged(
        t.cases.map((c) => c.name),
        (i) => t.cases[i]?.type !== undefined,
        'variant',
      );
    case 'result':
      return tagged(['ok', 'err'], (i) => (i === 0 ? t.ok : t.err) !== undefined, 'result');
    case 'option':
      if (!optionIsNullable(t)) return tagged(['none', 'some'], (i) => i === 1, 'option');
      return (body) => {
        e.open(`if (${o} === undefined || ${o} === null) {`);
        body(0, undefined);
        e.reopen('} else {');
        body(1, o);
        e.close();
      };
    case 'enum':
      return (body) => {
        e.open(`switch (${o}) {`);
        t.names.forEach((name, i) => {
          e.open(`case ${JSON.stringify(name)}: {`);
          body(i, undefined);
          e.line('break;');
          e.close();
        });
        e.line(
          `default: throw new TypeError(JSON.stringify(${o}) + " is not one of the cases of enum (${t.names.join(' ')})");`,
        );
        e.close();
      };
    default:
      throw new InvalidValueTypeError(`${t.kind} is not a variant`);
  }
}

/** `lower_flat_variant`: the discriminant, then payload slots joined over all cases (unused slots 0). */
export function lowerFlatVariant(e: Emitter, t: ValueType, dispatch: Dispatch): string[] {
  const s = shapeOf(t);
  if (s.kind !== 'variant') throw new Error('unreachable');
  const joined = flattenVariant(s.cases).slice(1);
  const d = e.tmp('d');
  const slots = joined.map(() => e.tmp('s'));
  e.line(
    `let ${[`${d} = 0`, ...slots.map((x, j) => `${x} = ${joined[j] === 'i64' ? '0n' : '0'}`)].join(', ')};`,
  );
  dispatch((i, payload) => {
    e.line(`${d} = ${i};`);
    const c = s.cases[i];
    if (c === undefined) return;
    const have = flattenType(c);
    lowerFlat(e, c, payload as string).forEach((x, j) => {
      e.line(`${slots[j]} = ${coerce(have[j] as CoreType, joined[j] as CoreType, x)};`);
    });
  });
  return [d, ...slots];
}
