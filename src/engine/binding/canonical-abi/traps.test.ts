/**
 * Every trap the canonical ABI requires, each provoked the way a misbehaving guest would: by
 * calling a lowered import with crafted core values over crafted memory, or by a core export
 * (here a JS stand-in) returning crafted values. Each must throw a CanonicalAbiTrap naming its rule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FunctionType, primitive, type ResourceType, type ValueType } from '../value-types.ts';
import { liftExport, lowerImport } from './compile.ts';
import {
  ComponentInstanceState,
  type CoreFunction,
  LiftLowerContext,
  type StringEncoding,
} from './context.ts';
import { GuestMemory } from './guest-memory.ts';
import { alignTo } from './layout.ts';
import { resourceDrop } from './resource-builtins.ts';
import { CanonicalAbiTrap, type TrapRule } from './trap.ts';

const p = primitive;
const fn = (params: ValueType[], result?: ValueType): FunctionType => ({
  params: params.map((type, i) => ({ name: `p${i}`, type })),
  result,
  async: false,
});
const list = (element: ValueType): ValueType => ({ kind: 'list', element });

function guest(stringEncoding: StringEncoding = 'utf8') {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 10 });
  const m = new GuestMemory(memory);
  const state = new ComponentInstanceState();
  let bump = 1024;
  const cx = new LiftLowerContext(state, {
    stringEncoding,
    memory: m,
    realloc: (_old, _oldSize, align, size) => {
      bump = alignTo(bump, align);
      const ptr = bump;
      bump += size;
      return ptr;
    },
  });
  const bytes = (at: number, values: number[]) => new Uint8Array(memory.buffer).set(values, at);
  const imported = (ft: FunctionType, host: (...args: never[]) => unknown = () => undefined): CoreFunction =>
    lowerImport(ft, { cx, callee: host, name: 'test-import' });
  const exported = (ft: FunctionType, core: CoreFunction): CoreFunction =>
    liftExport(ft, { cx, callee: core, name: 'test-export' });
  return { m, state, cx, bytes, imported, exported, dv: () => new DataView(memory.buffer) };
}

function traps(f: () => unknown, rule: TrapRule): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CanonicalAbiTrap, `expected a CanonicalAbiTrap, got ${String(e)}`);
    assert.equal(e.rule, rule, e.message);
    assert.ok(e instanceof WebAssembly.RuntimeError);
    assert.match(e.message, new RegExp(`\\[${rule}\\]`));
    return true;
  });
}

describe('traps: strings', () => {
  test('invalid UTF-8 (a stray continuation byte, an overlong form, an encoded surrogate)', () => {
    const g = guest();
    const f = g.imported(fn([p('string')]));
    g.bytes(100, [0x66, 0xff]);
    traps(() => f(100, 2), 'invalid-utf8');
    g.bytes(200, [0xc0, 0x80]);
    traps(() => f(200, 2), 'invalid-utf8');
    g.bytes(300, [0xed, 0xa0, 0x80]);
    traps(() => f(300, 3), 'invalid-utf8');
    g.bytes(400, [...Array(40).fill(0x61), 0x80]);
    traps(() => f(400, 41), 'invalid-utf8');
    // A truncated sequence at the end of the range.
    g.bytes(500, [0x61, 0xe2, 0x82]);
    traps(() => f(500, 3), 'invalid-utf8');
  });

  test('invalid UTF-16 (a lone surrogate), in utf16 and latin1+utf16', () => {
    const g = guest('utf16');
    const f = g.imported(fn([p('string')]));
    g.dv().setUint16(100, 0xd800, true);
    traps(() => f(100, 1), 'invalid-utf16');
    g.dv().setUint16(200, 0x61, true);
    g.dv().setUint16(202, 0xdc00, true);
    traps(() => f(200, 2), 'invalid-utf16');
    const h = guest('latin1+utf16');
    const fh = h.imported(fn([p('string')]));
    h.dv().setUint16(100, 0xdbff, true);
    traps(() => fh(100, 1 | 0x8000_0000 | 0), 'invalid-utf16');
  });

  test('misaligned: UTF-16 and latin1+utf16 strings need 2-byte alignment', () => {
    traps(() => guest('utf16').imported(fn([p('string')]))(101, 1), 'misaligned');
    traps(() => guest('latin1+utf16').imported(fn([p('string')]))(101, 1), 'misaligned');
    traps(() => guest('latin1+utf16').imported(fn([p('string')]))(101, 0x8000_0001 | 0), 'misaligned');
  });

  test('out of bounds, including a range that wraps past 2^32', () => {
    const f = guest().imported(fn([p('string')]));
    traps(() => f(65530, 10), 'out-of-bounds');
    traps(() => f(-1, 2), 'out-of-bounds');
    traps(() => f(65537, 0), 'out-of-bounds');
  });

  test('too long: more than 2^28-1 bytes', () => {
    traps(() => guest().imported(fn([p('string')]))(0, 2 ** 28), 'string-too-long');
    traps(() => guest('utf16').imported(fn([p('string')]))(0, 2 ** 27), 'string-too-long');
  });
});

describe('traps: lists and pointers', () => {
  test('a list pointer misaligned for its elements', () => {
    traps(() => guest().imported(fn([list(p('u32'))]))(2, 1), 'misaligned');
    traps(() => guest().imported(fn([list(p('string'))]))(2, 1), 'misaligned');
    traps(() => guest().imported(fn([list(p('u64'))]))(4, 0), 'misaligned');
  });

  test('a list past the end of memory, and a list too long', () => {
    traps(() => guest().imported(fn([list(p('u32'))]))(65532, 2), 'out-of-bounds');
    traps(() => guest().imported(fn([list(p('string'))]))(65528, 2), 'out-of-bounds');
    traps(() => guest().imported(fn([list(p('u8'))]))(0, 2 ** 28), 'list-too-long');
    traps(() => guest().imported(fn([list(p('u64'))]))(0, 2 ** 25), 'list-too-long');
  });

  test('a string inside a list is checked too', () => {
    const g = guest();
    g.dv().setUint32(100, 65535, true);
    g.dv().setUint32(104, 5, true);
    traps(() => g.imported(fn([list(p('string'))]))(100, 1), 'out-of-bounds');
  });

  test('spilled parameters: the pointer to them is checked', () => {
    const seventeen = fn(Array.from({ length: 17 }, () => p('u32')));
    traps(() => guest().imported(seventeen)(2), 'misaligned');
    traps(() => guest().imported(seventeen)(65536 - 64), 'out-of-bounds');
  });

  test('the return pointer an import writes its result to is checked', () => {
    const f = (g: ReturnType<typeof guest>) => g.imported(fn([], p('string')), () => 'hello');
    traps(() => f(guest())(2), 'misaligned');
    traps(() => f(guest())(65532), 'out-of-bounds');
    const g = guest();
    f(g)(8);
    assert.equal(g.dv().getUint32(12, true), 5);
  });

  test('the pointer an export returns for its result is checked', () => {
    traps(() => guest().exported(fn([], p('string')), () => 2)(), 'misaligned');
    traps(() => guest().exported(fn([], p('string')), () => 65532)(), 'out-of-bounds');
  });

  test('realloc returning a misaligned or out-of-bounds pointer', () => {
    const g = guest();
    g.cx.realloc = () => 1025;
    traps(() => g.exported(fn([list(p('u32'))]), () => undefined)([1]), 'misaligned');
    const h = guest();
    h.cx.realloc = () => 2 ** 31;
    traps(() => h.exported(fn([p('string')]), () => undefined)('x'), 'out-of-bounds');
    const i = guest();
    i.cx.realloc = () => 65535;
    traps(() => i.exported(fn([list(p('u8'))]), () => undefined)(new Uint8Array(2)), 'out-of-bounds');
  });
});

describe('traps: discriminants, chars, bools', () => {
  test('a discriminant past the last case', () => {
    const variant: ValueType = {
      kind: 'variant',
      cases: [
        { name: 'a', type: undefined },
        { name: 'b', type: p('u8') },
        { name: 'c', type: p('f32') },
      ],
    };
    traps(() => guest().imported(fn([variant]))(3, 0), 'invalid-discriminant');
    traps(() => guest().imported(fn([{ kind: 'option', type: p('u8') }]))(2, 0), 'invalid-discriminant');
    traps(
      () => guest().imported(fn([{ kind: 'result', ok: p('u8'), err: undefined }]))(2, 0),
      'invalid-discriminant',
    );
    traps(() => guest().imported(fn([{ kind: 'enum', names: ['x', 'y'] }]))(2), 'invalid-discriminant');
    traps(() => guest().imported(fn([{ kind: 'enum', names: ['x', 'y'] }]))(-1), 'invalid-discriminant');
    const g = guest();
    g.bytes(100, [0, 0, 7, 3]);
    traps(() => g.imported(fn([list({ kind: 'option', type: p('u8') })]))(100, 2), 'invalid-discriminant');
    // Nested, inside a joined payload.
    const nested: ValueType = { kind: 'option', type: { kind: 'result', ok: p('f32'), err: p('u64') } };
    traps(() => guest().imported(fn([nested]))(1, 2, 0n), 'invalid-discriminant');
  });

  test('a char that is a surrogate or past 0x10FFFF', () => {
    for (const bad of [0xd800, 0xdfff, 0x110000, -1])
      traps(() => guest().imported(fn([p('char')]))(bad), 'invalid-char');
    const g = guest();
    g.dv().setUint32(100, 0xdead, true);
    traps(() => g.imported(fn([list(p('char'))]))(100, 1), 'invalid-char');
    traps(() => guest().exported(fn([], p('char')), () => 0x110000)(), 'invalid-char');
  });

  test('not a trap: any nonzero bool is true, and high bits of small integers are ignored', () => {
    const seen: unknown[] = [];
    const g = guest();
    g.imported(fn([p('bool'), p('u8'), p('s8'), p('u16')]), (...xs: never[]) => seen.push(...xs))(
      2,
      0x1ff,
      0x180,
      -1,
    );
    assert.deepStrictEqual(seen, [true, 0xff, -128, 0xffff]);
    g.bytes(100, [0, 2, 255]);
    g.imported(fn([list(p('bool'))]), (x: never) => seen.push(x))(100, 3);
    assert.deepStrictEqual(seen.at(-1), [false, true, true]);
  });
});

describe('traps: handles', () => {
  const thing: ResourceType = { kind: 'resource', name: 'test:h/types#thing', imported: true };
  const other: ResourceType = { kind: 'resource', name: 'test:h/types#other', imported: true };
  const own = (rt = thing): ValueType => ({ kind: 'own', resource: rt });
  const borrow = (rt = thing): ValueType => ({ kind: 'borrow', resource: rt });

  test('an invalid, dropped or mistyped handle', () => {
    const g = guest();
    const use = g.imported(fn([borrow()]));
    traps(() => use(0), 'invalid-handle');
    traps(() => use(99), 'invalid-handle');
    const h = g.state.handles.addOwn(thing, {});
    use(h);
    resourceDrop(g.state, thing)(h);
    traps(() => use(h), 'invalid-handle');
    traps(() => resourceDrop(g.state, thing)(h), 'invalid-handle');
    const o = g.state.handles.addOwn(other, {});
    traps(() => use(o), 'handle-type-mismatch');
    traps(() => g.imported(fn([own()]))(o), 'handle-type-mismatch');
  });

  test('a borrow handle passed where an own is expected', () => {
    const g = guest();
    const b = g.state.handles.addBorrow(thing, {}, g.state.syncTask);
    traps(() => g.imported(fn([own()]))(b), 'handle-not-owned');
  });

  test('a handle lent to a call in progress cannot be moved or dropped', () => {
    const g = guest();
    const h = g.state.handles.addOwn(thing, {});
    traps(() => g.imported(fn([borrow(), own()]))(h, h), 'handle-lent');
    const g2 = guest();
    const h2 = g2.state.handles.addOwn(thing, {});
    const drop = resourceDrop(g2.state, thing);
    traps(() => g2.imported(fn([borrow()]), () => drop(h2))(h2), 'handle-lent');
  });

  test('a borrow lent into the guest must be dropped before the call returns', () => {
    const g = guest();
    const keep = g.exported(fn([borrow()]), () => undefined);
    traps(() => keep({}), 'borrow-outlived-call');
    const h = guest();
    const drop = resourceDrop(h.state, thing);
    const obj = {
      disposed: false,
      [Symbol.dispose]() {
        this.disposed = true;
      },
    };
    h.exported(fn([borrow()]), (handle: number) => drop(handle))(obj);
    assert.equal(obj.disposed, false, 'dropping a borrow does not dispose the resource');
    assert.equal(h.state.syncTask.numBorrows, 0);
    // The borrow's handle is gone once dropped: using it later traps.
    traps(() => h.imported(fn([borrow()]))(1), 'invalid-handle');
  });

  test('dropping an own host resource disposes it', () => {
    const g = guest();
    const obj = {
      disposed: 0,
      [Symbol.dispose]() {
        this.disposed++;
      },
    };
    const h = g.state.handles.addOwn(thing, obj);
    resourceDrop(g.state, thing)(h);
    assert.equal(obj.disposed, 1);
  });
});

describe('traps: entering and leaving the instance', () => {
  test('may_leave: realloc and post-return may not call imports', () => {
    const g = guest();
    const imported = g.imported(fn([]));
    const realloc = g.cx.realloc;
    g.cx.realloc = (...args) => {
      imported();
      return (realloc as CoreFunction)(...args);
    };
    traps(() => g.exported(fn([p('string')]), () => undefined)('x'), 'may-leave');
    const h = guest();
    const importedH = h.imported(fn([]));
    h.cx.postReturn = () => importedH();
    traps(() => h.exported(fn([]), () => undefined)(), 'may-leave');
    const k = guest();
    k.cx.realloc = () => {
      resourceDrop(k.state, thing)(1);
      return 8;
    };
    traps(() => k.exported(fn([p('string')]), () => undefined)('x'), 'may-leave');
  });

  test('may_enter: an export cannot be reentered while it runs, nor after a trap', () => {
    const g = guest();
    let inner: CoreFunction = () => undefined;
    const outer = g.exported(fn([]), () => inner());
    inner = outer;
    traps(() => outer(), 'may-enter');
    traps(() => outer(), 'may-enter');
    const h = guest();
    const ok = h.exported(fn([p('u32')], p('u32')), (x: number) => x + 1);
    assert.equal(ok(1), 2);
    assert.equal(ok(2), 3);
  });
});

const thing: ResourceType = { kind: 'resource', name: 'test:h/types#thing', imported: true };

describe('host values the binder cannot lower are TypeErrors, and leave the instance usable', () => {
  test('wrong JS types', () => {
    const g = guest();
    const call = (t: ValueType, v: unknown) => g.exported(fn([t]), () => undefined)(v);
    assert.throws(() => call(p('string'), 5), TypeError);
    assert.throws(() => call(p('char'), 'ab'), TypeError);
    assert.throws(() => call(p('char'), ''), TypeError);
    assert.throws(() => call(p('char'), '\ud800'), TypeError);
    assert.throws(() => call({ kind: 'enum', names: ['a'] }, 'b'), TypeError);
    assert.throws(
      () => call({ kind: 'variant', cases: [{ name: 'a', type: undefined }] }, { tag: 'b' }),
      TypeError,
    );
    assert.throws(() => call({ kind: 'result', ok: undefined, err: undefined }, { tag: 'error' }), TypeError);
    assert.throws(() => call({ kind: 'own', resource: thing }, 7), TypeError);
    assert.throws(() => call(p('u64'), 1.5), RangeError);
    assert.equal(g.state.mayEnter, true);
  });

  test('a host import returning a bad value traps the guest (the error propagates)', () => {
    const g = guest();
    assert.throws(() => g.imported(fn([], p('string')), () => 42)(8), TypeError);
    assert.throws(() => g.imported(fn([], { kind: 'enum', names: ['a'] }), () => 'b')(), TypeError);
  });
});
