/**
 * Differential test against jco 1.35 (the oracle): the same forwarding core module is made into a
 * real component (wit-component, via jco-transpile's wasm-tools) and transpiled by jco; the same
 * values go through jco's glue and through Skiff's binder. What the host function receives and
 * what the caller gets back must be identical, which pins Skiff's JS value conventions and guest
 * memory layout to jco's (a mistake mirrored in both lift and lower would pass a round trip alone).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { ResultError } from '../../../wasi/result-error.ts';
import type { FunctionType, ValueType } from '../value-types.ts';
import { forwarder, forwardingModuleWat, identity, list, option, p, tuple, variant } from './testing.ts';
import { witPackage } from './wit-package.ts';

const mixed = variant({
  empty: undefined,
  int: p('u32'),
  float: p('f32'),
  wide: p('s64'),
  double: p('f64'),
  pair: tuple(p('f32'), p('u8')),
  text: p('string'),
});
const headers: ValueType = {
  kind: 'record',
  fields: [
    { name: 'content-length', type: option(p('u64')) },
    { name: 'HTTP-version', type: p('string') },
    { name: 'names', type: list(p('string')) },
    { name: 'body', type: list(p('u8')) },
  ],
};
const perms: ValueType = { kind: 'flags', names: ['read', 'write', 'mutate-directory'] };
const wideFlags: ValueType = {
  kind: 'flags',
  names: Array.from({ length: 32 }, (_, i) => `f${String.fromCharCode(97 + (i % 26))}${i >= 26 ? 'x' : ''}`),
};

/** Each function with the values to send through it. */
const CASES: Array<[FunctionType, unknown[][]]> = [
  [identity(p('bool')), [[true], [false]]],
  [identity(p('s8')), [[-128], [127]]],
  [identity(p('u16')), [[65535]]],
  [identity(p('s32')), [[-5]]],
  [identity(p('u32')), [[2 ** 32 - 1]]],
  [identity(p('u64')), [[2n ** 64n - 1n]]],
  [identity(p('s64')), [[-(2n ** 63n)]]],
  [identity(p('f32')), [[1.5], [Number.NaN], [Number.NEGATIVE_INFINITY]]],
  [identity(p('f64')), [[Math.PI]]],
  [identity(p('char')), [['x'], ['😀']]],
  [identity(p('string')), [[''], ['ascii'], ['héllo 😀 wörld']]],
  // Known difference, checked below: jco's TextDecoder drops a leading BOM; the spec keeps U+FEFF.
  [identity(p('string')), [['\uFEFFbom']]],
  [identity(list(p('u8'))), [[new Uint8Array([1, 2, 3])], [new Uint8Array(0)]]],
  [identity(list(p('u32'))), [[new Uint32Array([7, 2 ** 32 - 1])]]],
  [identity(list(p('s64'))), [[new BigInt64Array([-1n, 5n])]]],
  [identity(list(p('f64'))), [[new Float64Array([0.5])]]],
  [identity(list(p('string'))), [[['a', 'é', '']]]],
  [
    identity(list(tuple(p('u8'), p('string')))),
    [
      [
        [
          [1, 'one'],
          [2, 'two'],
        ],
      ],
    ],
  ],
  [identity(list(p('u8'), 4)), [[[1, 2, 3, 4]]]],
  [identity(tuple(p('u8'), p('f64'), p('string'))), [[[1, 0.25, 'x']]]],
  [
    identity(headers),
    [
      [{ contentLength: 5n, httpVersion: '1.1', names: ['a', 'b'], body: new Uint8Array([9]) }],
      [{ contentLength: undefined, httpVersion: '', names: [], body: new Uint8Array(0) }],
    ],
  ],
  [identity(perms), [[{ read: true, write: false, mutateDirectory: true }]]],
  [
    identity(wideFlags),
    [[Object.fromEntries((wideFlags as { names: string[] }).names.map((n, i) => [n, i % 3 === 0]))]],
  ],
  [identity({ kind: 'enum', names: ['get', 'post', 'HTTP-put'] }), [['post'], ['HTTP-put']]],
  [
    identity(mixed),
    [
      [{ tag: 'empty' }],
      [{ tag: 'int', val: 3 }],
      [{ tag: 'float', val: -2.5 }],
      [{ tag: 'wide', val: -(2n ** 40n) }],
      [{ tag: 'double', val: 1e300 }],
      [{ tag: 'pair', val: [0.5, 255] }],
      [{ tag: 'text', val: 'é' }],
    ],
  ],
  [identity(list(mixed)), [[[{ tag: 'float', val: 1.25 }, { tag: 'text', val: 'x' }, { tag: 'empty' }]]]],
  [identity(option(p('u32'))), [[undefined], [4]]],
  [
    identity(option(option(p('u32')))),
    [[{ tag: 'none' }], [{ tag: 'some', val: undefined }], [{ tag: 'some', val: 1 }]],
  ],
  [identity(option(option(option(p('u8'))))), [[undefined], [{ tag: 'none' }], [{ tag: 'some', val: 2 }]]],
  [
    identity(tuple({ kind: 'result', ok: p('string'), err: p('u8') })),
    [[[{ tag: 'ok', val: 'fine' }]], [[{ tag: 'err', val: 3 }]]],
  ],
  [
    identity(option({ kind: 'result', ok: undefined, err: undefined })),
    [[{ tag: 'ok', val: undefined }], [undefined]],
  ],
  [
    {
      params: Array.from({ length: 17 }, (_, i) => ({ name: `p${i}`, type: i % 2 ? p('u8') : p('f64') })),
      result: tuple(p('string'), p('u32')),
      async: false,
    },
    [Array.from({ length: 17 }, (_, i) => (i % 2 ? i : i / 4))],
  ],
];

/** Top-level results: the host returns ok or throws an error with a payload; the caller sees a ComponentError. */
const RESULT_FN: FunctionType = {
  params: [{ name: 'x', type: p('u32') }],
  result: { kind: 'result', ok: p('string'), err: variant({ denied: undefined, other: p('string') }) },
  async: false,
};
const resultHost = (x: number) => {
  if (x === 0) return 'zero';
  throw new ResultError(x === 1 ? { tag: 'denied' } : { tag: 'other', val: `x=${x}` });
};

interface Observed {
  seen: unknown[][];
  results: unknown[];
}

function echoHosts(log: unknown[][]) {
  const tupleResult = (args: unknown[]) => [`${args.length} args`, args.length];
  return CASES.map(([ft]) =>
    ft.params.length > 1
      ? (...args: unknown[]) => {
          log.push(args);
          return tupleResult(args);
        }
      : (...args: unknown[]) => {
          log.push(args);
          return args[0];
        },
  );
}

async function runAll(call: (i: number, args: unknown[]) => unknown): Promise<Observed> {
  const results: unknown[] = [];
  CASES.forEach(([, values], i) => {
    for (const args of values) results.push(call(i, args));
  });
  for (const x of [0, 1, 2]) {
    try {
      results.push(call(CASES.length, [x]));
    } catch (e) {
      results.push({
        thrown: (e as Error).constructor.name,
        message: (e as Error).message,
        payload: (e as { payload?: unknown }).payload,
      });
    }
  }
  return { seen: [], results };
}

/** The index (in call order) of the BOM string, where jco differs from the spec. */
const BOM_CALL = (() => {
  let n = 0;
  for (const [, values] of CASES)
    for (const args of values)
      if (args[0] === '\uFEFFbom') return n;
      else n++;
  throw new Error('no BOM case');
})();

// jco does not implement latin1+utf16 ("compact UTF-16"), so only the other two are compared.
for (const stringEncoding of ['utf8', 'utf16'] as const) describeEncoding(stringEncoding);

function describeEncoding(stringEncoding: 'utf8' | 'utf16'): void {
  let dir = '';
  let jco: Observed;
  let skiff: Observed;

  describe(`values match jco’s glue (${stringEncoding})`, () => {
    before(async () => {
      const functions = [...CASES.map(([ft]) => ft), RESULT_FN];
      const { wit, world } = witPackage('test:diff', functions);
      const wat = forwardingModuleWat(functions, {
        importModule: 'test:diff/host',
        importName: (i) => `call${i}`,
        exportName: (i) => `test:diff/guest#call${i}`,
        postReturnName: (i) => `cabi_post_test:diff/guest#call${i}`,
        realloc: 'cabi_realloc',
        knobs: false,
      });
      const embedded = await componentEmbed({
        binary: await parse(wat),
        witSource: wit,
        world,
        stringEncoding,
      });
      const component = await componentNew(embedded, undefined);
      const out = await transpileBytes(component, {
        name: 'diff',
        instantiation: 'async',
        emitTypescriptDeclarations: false,
        base64Cutoff: 0,
        // jco's CLI wraps a top-level err in ComponentError; jco-transpile's default throws the bare payload.
        noComponentErrorWrapping: false,
      });
      dir = await mkdtemp(join(tmpdir(), 'skiff-jco-diff-'));
      for (const [name, content] of Object.entries(out.files)) await writeFile(join(dir, name), content);

      const jcoSeen: unknown[][] = [];
      const glue = (await import(pathToFileURL(join(dir, 'diff.js')).href)) as {
        instantiate: (
          get: (name: string) => Promise<WebAssembly.Module>,
          imports: object,
        ) => Promise<Record<string, Record<string, (...a: unknown[]) => unknown>>>;
      };
      const hosts = [...echoHosts(jcoSeen), resultHost];
      const jcoInstance = await glue.instantiate(
        async (name) => WebAssembly.compile(await readFile(join(dir, name))),
        {
          'test:diff/host': Object.fromEntries(hosts.map((h, i) => [`call${i}`, h])),
        },
      );
      const guest = jcoInstance['test:diff/guest'] as Record<string, (...a: unknown[]) => unknown>;
      jco = await runAll((i, args) => (guest[`call${i}`] as (...a: unknown[]) => unknown)(...args));
      jco.seen = jcoSeen;

      const skiffSeen: unknown[][] = [];
      const fw = await forwarder(
        functions,
        [...echoHosts(skiffSeen), resultHost] as Array<(...args: never[]) => unknown>,
        {
          postReturn: true,
          stringEncoding,
        },
      );
      skiff = await runAll((i, args) => (fw.exports[i] as (...a: unknown[]) => unknown)(...args));
      skiff.seen = skiffSeen;
    });

    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('the host receives the same values', () => {
      assert.equal(skiff.seen.length, jco.seen.length);
      skiff.seen.forEach((args, i) => {
        if (i !== BOM_CALL) assert.deepStrictEqual(args, jco.seen[i], `call ${i}`);
      });
    });

    test('the caller gets the same values back', () => {
      assert.equal(skiff.results.length, jco.results.length);
      skiff.results.forEach((r, i) => {
        if (i !== BOM_CALL) assert.deepStrictEqual(r, jco.results[i], `call ${i}`);
      });
    });

    test('known difference: a leading BOM is kept (as the spec decodes), jco drops it', () => {
      assert.deepStrictEqual([skiff.seen[BOM_CALL], skiff.results[BOM_CALL]], [['\uFEFFbom'], '\uFEFFbom']);
      assert.deepStrictEqual([jco.seen[BOM_CALL], jco.results[BOM_CALL]], [['bom'], 'bom']);
    });

    test('a top-level err is a thrown ComponentError with the payload in both', () => {
      assert.deepStrictEqual(skiff.results.slice(-3), [
        'zero',
        {
          thrown: 'ComponentError',
          message: '[object Object] (see error.payload)',
          payload: { tag: 'denied' },
        },
        {
          thrown: 'ComponentError',
          message: '[object Object] (see error.payload)',
          payload: { tag: 'other', val: 'x=2' },
        },
      ]);
    });
  });
}
