/**
 * Every kind of value through a real core module and back (testing.ts): lowered by the export
 * wrapper through the module's own `realloc`, lifted for the host, lowered from the host's return,
 * lifted for the caller. Both copies the host and the caller see must equal the original.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResultError } from '../../../wasi/result-error.ts';
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import type { CoreFunction, StringEncoding } from './context.ts';
import { forwarder, identity, list, option, p, tuple, variant } from './testing.ts';
import { ComponentError } from './trap.ts';

const flagNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `flag-${i}`);
const flagsValue = (n: number, set: (i: number) => boolean): Record<string, boolean> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`flag${i}`, set(i)]));

/** Round-trips each value of each case through one module; returns what the host saw. */
async function roundTrip(
  cases: Array<[ValueType, unknown[]]>,
  options: { stringEncoding?: StringEncoding; grow?: boolean } = {},
): Promise<void> {
  const seen: unknown[][] = cases.map(() => []);
  const fw = await forwarder(
    cases.map(([t]) => identity(t)),
    cases.map((_, i) => (x: never) => {
      (seen[i] as unknown[]).push(x);
      return x;
    }),
    { ...(options.stringEncoding ? { stringEncoding: options.stringEncoding } : {}), postReturn: true },
  );
  if (options.grow) fw.global('grow').value = 1;
  cases.forEach(([t, values], i) => {
    for (const v of values) {
      const back = (fw.exports[i] as (x: unknown) => unknown)(v);
      const label = `${JSON.stringify(t)} with ${String(v)}`;
      assert.deepStrictEqual(back, v, label);
      assert.deepStrictEqual((seen[i] as unknown[]).at(-1), v, label);
    }
  });
  assert.equal(fw.state.handles.size, 0, 'no handle left behind');
  assert.equal(fw.state.mayEnter && fw.state.mayLeave, true);
}

const STRINGS = [
  '',
  'a',
  'plain ascii',
  'héllo wörld',
  '€',
  '😀 and 🎉',
  '\u0000nul\u0000',
  '\uFEFFa leading BOM stays',
  'x'.repeat(100),
  `${'y'.repeat(60)}é${'z'.repeat(60)}`,
  'é'.repeat(40),
  `${'ü'.repeat(33)}€`,
  'ÿ',
  'Ā',
];

describe('round trips through a real module', () => {
  test('numbers, bools and chars', async () => {
    await roundTrip([
      [p('bool'), [true, false]],
      [p('u8'), [0, 1, 127, 255]],
      [p('s8'), [-128, -1, 0, 127]],
      [p('u16'), [0, 65535]],
      [p('s16'), [-32768, 32767]],
      [p('u32'), [0, 1, 2 ** 31, 2 ** 32 - 1]],
      [p('s32'), [-(2 ** 31), -1, 2 ** 31 - 1]],
      [p('u64'), [0n, 1n, 2n ** 63n, 2n ** 64n - 1n]],
      [p('s64'), [-(2n ** 63n), -1n, 2n ** 63n - 1n]],
      [
        p('f32'),
        [0, -0, 1.5, Math.fround(Math.PI), Number.POSITIVE_INFINITY, Number.NaN, Math.fround(1e-40)],
      ],
      [p('f64'), [Math.PI, -0, Number.MIN_VALUE, Number.NEGATIVE_INFINITY, Number.NaN]],
      [p('char'), ['a', '\u0000', 'é', '€', '😀', '\u{10FFFF}', '\uE000']],
    ]);
  });

  for (const encoding of ['utf8', 'utf16', 'latin1+utf16'] as const) {
    test(`strings in ${encoding}`, async () => {
      await roundTrip(
        [
          [p('string'), STRINGS],
          [list(p('string')), [[], STRINGS]],
          [
            tuple(p('string'), p('u8'), p('string')),
            [
              ['é', 1, '€'],
              ['', 0, ''],
            ],
          ],
        ],
        { stringEncoding: encoding },
      );
    });
  }

  test('lists: typed arrays for numbers, arrays otherwise', async () => {
    await roundTrip([
      [list(p('u8')), [new Uint8Array(0), new Uint8Array([1, 2, 255])]],
      [list(p('s8')), [new Int8Array([-1, 5])]],
      [list(p('u16')), [new Uint16Array([1, 65535])]],
      [list(p('s16')), [new Int16Array([-2, 3])]],
      [list(p('u32')), [new Uint32Array([0, 2 ** 32 - 1])]],
      [list(p('s32')), [new Int32Array([-(2 ** 31)])]],
      [list(p('u64')), [new BigUint64Array([2n ** 64n - 1n, 0n])]],
      [list(p('s64')), [new BigInt64Array([-1n])]],
      [list(p('f32')), [new Float32Array([1.5, -0])]],
      [list(p('f64')), [new Float64Array([Math.PI])]],
      [list(p('bool')), [[true, false, true]]],
      [list(p('char')), [['a', '😀']]],
      [list(list(p('u8'))), [[new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])]]],
      [
        list(tuple(p('u8'), p('u64'))),
        [
          [
            [1, 2n],
            [3, 4n],
          ],
        ],
      ],
      [list(list(p('string'))), [[['a', 'b'], [], ['ç']]]],
      [list(p('u8'), 3), [[1, 2, 3]]],
      [list(p('string'), 2), [['x', 'é']]],
      [
        list(list(p('u16'), 2), 2),
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      [list(option(p('u32'))), [[undefined, 7]]],
    ]);
  });

  test('a host may pass a plain array or any byte view for a list of numbers', async () => {
    const fw = await forwarder(
      [identity(list(p('u32'))), identity(list(p('u8')))],
      [(x: never) => x, (x: never) => x],
    );
    const [u32, u8] = fw.exports as [(x: unknown) => unknown, (x: unknown) => unknown];
    assert.deepStrictEqual(u32([1, 2, 3]), new Uint32Array([1, 2, 3]));
    assert.deepStrictEqual(u32(new Uint8Array([1, 0, 0, 0])), new Uint32Array([1]));
    assert.deepStrictEqual(u8(Buffer.from('hi')), new Uint8Array([104, 105]));
    assert.deepStrictEqual(u8(new Uint8Array([9, 8, 7]).subarray(1)), new Uint8Array([8, 7]));
    assert.throws(() => u32(new Uint8Array(3)), TypeError);
    assert.throws(() => u32('nope'), TypeError);
  });

  test('records, tuples, flags and enums use jco’s JS shapes', async () => {
    const record: ValueType = {
      kind: 'record',
      fields: [
        { name: 'content-length', type: p('u64') },
        { name: 'HTTP-version', type: p('string') },
        { name: 'ok', type: p('bool') },
      ],
    };
    await roundTrip([
      [record, [{ contentLength: 5n, httpVersion: '1.1', ok: true }]],
      [tuple(p('u8'), p('f64'), p('char')), [[1, 2.5, 'x']]],
      [
        { kind: 'flags', names: ['read', 'write', 'mutate-directory'] },
        [{ read: true, write: false, mutateDirectory: true }],
      ],
      [{ kind: 'flags', names: flagNames(9) }, [flagsValue(9, (i) => i % 2 === 0)]],
      [{ kind: 'flags', names: flagNames(17) }, [flagsValue(17, (i) => i > 10)]],
      [
        { kind: 'flags', names: flagNames(32) },
        [flagsValue(32, (i) => i === 31 || i === 0), flagsValue(32, () => true)],
      ],
      [{ kind: 'enum', names: ['get', 'post', 'put'] }, ['get', 'put']],
      [{ kind: 'enum', names: Array.from({ length: 300 }, (_, i) => `e${i}`) }, ['e0', 'e299']],
    ]);
  });

  test('flags: undefined or null are all false, like jco', async () => {
    const t: ValueType = { kind: 'flags', names: ['a', 'b'] };
    const fw = await forwarder([identity(t)], [(x: never) => x]);
    assert.deepStrictEqual((fw.exports[0] as (x: unknown) => unknown)(undefined), { a: false, b: false });
    assert.throws(() => (fw.exports[0] as (x: unknown) => unknown)(3), TypeError);
  });

  test('variants, options and results, with mixed payload types joined in flat values', async () => {
    const mixed = variant({
      none: undefined,
      int: p('u32'),
      float: p('f32'),
      wide: p('u64'),
      double: p('f64'),
      pair: tuple(p('f32'), p('s8')),
      text: p('string'),
      nested: variant({ small: p('f32'), big: p('s64') }),
    });
    const mixedValues = [
      { tag: 'none' },
      { tag: 'int', val: 2 ** 32 - 1 },
      { tag: 'float', val: -1.5 },
      { tag: 'float', val: Number.NaN },
      { tag: 'wide', val: 2n ** 64n - 1n },
      { tag: 'double', val: -Math.PI },
      { tag: 'pair', val: [Math.fround(0.1), -128] },
      { tag: 'text', val: 'é' },
      { tag: 'nested', val: { tag: 'small', val: 2.5 } },
      { tag: 'nested', val: { tag: 'big', val: -(2n ** 63n) } },
    ];
    await roundTrip([
      [mixed, mixedValues],
      [list(mixed), [mixedValues]],
      [option(p('u32')), [undefined, 0, 5]],
      [option(option(p('u32'))), [{ tag: 'none' }, { tag: 'some', val: undefined }, { tag: 'some', val: 7 }]],
      [
        option(option(option(p('u8')))),
        [undefined, { tag: 'none' }, { tag: 'some', val: undefined }, { tag: 'some', val: 1 }],
      ],
      [option(p('string')), [undefined, 'x']],
      [
        tuple({ kind: 'result', ok: p('u32'), err: p('string') }),
        [[{ tag: 'ok', val: 1 }], [{ tag: 'err', val: 'bad' }]],
      ],
      [
        list({ kind: 'result', ok: undefined, err: undefined }),
        [
          [
            { tag: 'ok', val: undefined },
            { tag: 'err', val: undefined },
          ],
        ],
      ],
      [
        option({ kind: 'result', ok: p('f64'), err: p('f32') }),
        [
          { tag: 'ok', val: 0.5 },
          { tag: 'err', val: 0.25 },
        ],
      ],
    ]);
  });

  test('memory that grows on every realloc (stale views are refreshed)', async () => {
    await roundTrip(
      [
        [list(p('string')), [STRINGS]],
        [
          list(tuple(p('string'), list(p('u8')))),
          [
            [
              ['é', new Uint8Array([1, 2])],
              ['', new Uint8Array(0)],
            ],
          ],
        ],
      ],
      { grow: true },
    );
  });

  test('17 flat parameters and a large result go through memory', async () => {
    const params = Array.from({ length: 17 }, (_, i) => ({
      name: `p${i}`,
      type: i % 3 === 0 ? p('u8') : p('u64'),
    }));
    const wide: FunctionType = { params, result: tuple(...params.map((x) => x.type)), async: false };
    const sixteen: FunctionType = {
      params: params.slice(0, 16),
      result: tuple(...params.slice(0, 16).map((x) => x.type)),
      async: false,
    };
    const args = params.map((x, i) =>
      x.type.kind === 'primitive' && x.type.name === 'u8' ? i : BigInt(i) * 2n ** 40n,
    );
    const seen: unknown[][] = [];
    const host = (...xs: never[]) => {
      seen.push(xs);
      return xs;
    };
    const fw = await forwarder([wide, sixteen], [host, host]);
    assert.deepStrictEqual((fw.exports[0] as (...x: unknown[]) => unknown)(...args), args);
    assert.deepStrictEqual(seen[0], args);
    assert.deepStrictEqual(
      (fw.exports[1] as (...x: unknown[]) => unknown)(...args.slice(0, 16)),
      args.slice(0, 16),
    );
  });

  test('a host err becomes a guest err, and an exported err a thrown ComponentError', async () => {
    const t: FunctionType = {
      params: [{ name: 'x', type: p('u32') }],
      result: { kind: 'result', ok: p('string'), err: variant({ denied: undefined, other: p('string') }) },
      async: false,
    };
    const unit: FunctionType = {
      params: [],
      result: { kind: 'result', ok: undefined, err: undefined },
      async: false,
    };
    let fail = false;
    const fw = await forwarder(
      [t, unit],
      [
        (x: never) => {
          if (x === 1) throw new ResultError({ tag: 'other', val: 'nope' });
          if (x === 2) throw new Error('a host bug');
          return `ok ${x}`;
        },
        () => {
          if (fail) throw new ResultError(undefined);
        },
      ],
      { postReturn: true },
    );
    const [f, g] = fw.exports as [(x: number) => unknown, () => unknown];
    assert.equal(f(0), 'ok 0');
    const e = (() => {
      try {
        f(1);
      } catch (thrown) {
        return thrown;
      }
    })();
    assert.ok(e instanceof ComponentError);
    assert.deepStrictEqual(e.payload, { tag: 'other', val: 'nope' });
    assert.equal(fw.global('posts').value, 2, 'post-return ran for both calls');
    assert.equal(g(), undefined);
    fail = true;
    assert.throws(g, (x: unknown) => x instanceof ComponentError && x.payload === undefined);
    // Anything but an error with a payload is a host failure: it propagates (the guest traps).
    assert.throws(() => f(2), /a host bug/);
    assert.equal(fw.state.mayEnter, false, 'an instance that trapped cannot be entered again');
  });

  test('own and borrow handles of host resources', async () => {
    const rt: ResourceType = { kind: 'resource', name: 'test:r/types#thing', imported: true };
    const own: ValueType = { kind: 'own', resource: rt };
    const borrow: ValueType = { kind: 'borrow', resource: rt };
    class Thing {
      disposed = 0;
      readonly id: number;
      constructor(id: number) {
        this.id = id;
      }
      [Symbol.dispose]() {
        this.disposed++;
      }
    }
    const moveThrough: FunctionType = { params: [{ name: 'x', type: own }], result: own, async: false };
    const lend: FunctionType = { params: [{ name: 'x', type: borrow }], result: p('u32'), async: false };
    const nested: FunctionType = {
      params: [{ name: 'xs', type: list(own) }],
      result: list(option(own)),
      async: false,
    };
    const fw = await forwarder(
      [moveThrough, lend, nested],
      [(x: never) => x, (x: Thing) => x.id, (xs: never[]) => xs],
    );
    const [move, borrowIt, many] = fw.exports as [
      (x: unknown) => unknown,
      (x: unknown) => unknown,
      (x: unknown) => unknown,
    ];
    const a = new Thing(1);
    assert.equal(move(a), a);
    assert.equal(borrowIt(a), 1);
    const b = new Thing(2);
    assert.deepStrictEqual(many([a, b]), [a, b]);
    assert.equal(fw.state.handles.size, 0);
    assert.equal(a.disposed, 0, 'moving is not dropping');
    assert.throws(() => move(undefined), TypeError);
  });

  test('JSPI: an async host function suspends the guest; the export returns a promise', async () => {
    const t = tuple(p('string'), list(p('u8')));
    const fw = await forwarder(
      [identity(t)],
      [
        async (x: never) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return x;
        },
      ],
      { jspi: true, postReturn: true },
    );
    const f = fw.exports[0] as (x: unknown) => Promise<unknown>;
    const value = ['suspended é', new Uint8Array([1, 2, 3])];
    const pending = f(value);
    assert.ok(pending instanceof Promise);
    assert.equal(fw.state.mayEnter, false, 'the instance is busy while the guest is suspended');
    await assert.rejects(f(value), (e: unknown) => e instanceof Error && /may-enter/.test(e.message));
    assert.deepStrictEqual(await pending, value);
    assert.equal(fw.state.mayEnter, true);
  });
});

describe('strings are stored with the spec’s realloc sequence', () => {
  const take: FunctionType = { params: [{ name: 's', type: p('string') }], result: undefined, async: false };
  const calls = async (encoding: StringEncoding, s: string) => {
    const fw = await forwarder([take], [() => undefined], { stringEncoding: encoding, logRealloc: true });
    (fw.exports[0] as CoreFunction)(s);
    // [moved from an earlier block?, old size, alignment, new size] per call.
    return fw.reallocCalls.flatMap(([old, oldSize, align, size]) => [
      old === 0 ? 0 : 1,
      oldSize,
      align,
      size,
    ]);
  };

  test('utf8: one byte per code unit, then the worst case (3 per unit), then shrink', async () => {
    assert.deepEqual(await calls('utf8', 'plain'), [0, 0, 1, 5]);
    assert.deepEqual(await calls('utf8', 'héllo'), [0, 0, 1, 5, 1, 5, 1, 15, 1, 15, 1, 6]);
    assert.deepEqual(await calls('utf8', '😀'), [0, 0, 1, 2, 1, 2, 1, 6, 1, 6, 1, 4]);
    assert.deepEqual(await calls('utf8', ''), [0, 0, 1, 0]);
  });

  test('utf16: two bytes per code unit, aligned to 2', async () => {
    assert.deepEqual(await calls('utf16', 'héllo'), [0, 0, 2, 10]);
  });

  test('latin1+utf16: Latin-1 while it fits, else one realloc to UTF-16', async () => {
    assert.deepEqual(await calls('latin1+utf16', 'héllo'), [0, 0, 2, 5]);
    assert.deepEqual(await calls('latin1+utf16', 'é€'), [0, 0, 2, 2, 1, 2, 2, 4]);
  });
});
