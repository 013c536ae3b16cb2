/**
 * `skiff types FILE.wasm`: the declarations of the plugin fixtures match the committed ones (the
 * test of loadComponent is written against them, so a change shows in both), a program calling the
 * plugin through them type-checks with `tsc --noEmit` and runs, and a wrong call does not compile.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { COMMAND_HELP } from '../../src/cli/help.ts';
import { componentDeclarations } from '../../src/embed/types-dts.ts';
import type { ComponentWorld, ResolvedItem } from '../../src/engine/binding/parse/index.ts';
import type { ResourceType, ValueType } from '../../src/engine/binding/value-types.ts';

const REPO = join(import.meta.dirname, '..', '..');
const SKIFF = join(REPO, 'bin', 'skiff.js');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
// The example's declarations are the expected output: the test keeps examples/embed in step.
const EXPECTED = join(import.meta.dirname, '..', '..', 'examples', 'embed', 'plugin.d.ts');
const skiff = (...args: string[]) =>
  spawnSync(process.execPath, [SKIFF, ...args], { cwd: REPO, encoding: 'utf8' });

let dir = '';
before(async () => {
  // Inside the repository, so the program finds typescript's and Node's types in node_modules.
  await mkdir(join(REPO, '.skiff-cache'), { recursive: true });
  dir = await mkdtemp(join(REPO, '.skiff-cache', 'types-test-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('the declarations of both plugin fixtures are the committed ones', async () => {
  const expected = await readFile(EXPECTED, 'utf8');
  for (const file of ['fixtures/rust/plugin/plugin.wasm', 'fixtures/js/plugin/plugin.wasm']) {
    const { status, stdout, stderr } = skiff('types', file);
    assert.equal(status, 0, stderr);
    assert.equal(
      stdout,
      expected,
      `${file} (regenerate: node bin/skiff.js types ${file} > ${relative(REPO, EXPECTED)})`,
    );
  }
  for (const line of [
    'export declare class Counter {',
    '  static create(start: number): Promise<Counter>;',
    '  static merge(a: Counter, b: Counter): Promise<Counter>;',
    '  increment(by: number): Promise<number>;',
    '  [Symbol.asyncDispose](): Promise<void>;',
    '  emailAddress?: string | undefined;',
    "export type Color = 'red' | 'green' | 'blue' | 'hot-pink';",
    '  executeAll?: boolean;',
    '  reverseBytes(data: Uint8Array): Promise<Uint8Array>;',
    '  stats(values: BigInt64Array): Promise<[number, bigint]>;',
    '  findWord(words: Array<string>, prefix: string): Promise<string | undefined>;',
    '  validate(input: string): Promise<void>;',
    "  'skiff:plugin/api': Api;",
    '  api: Api;',
    '  version(): Promise<string>;',
  ])
    assert.ok(expected.split('\n').includes(line), line);
});

test('-o writes the file; a program calling the plugin through it type-checks and runs', async () => {
  const out = join(dir, 'plugin.d.ts');
  const written = skiff('types', 'fixtures/rust/plugin/plugin.wasm', '-o', out);
  assert.equal(written.status, 0, written.stderr);
  assert.equal(written.stdout, `wrote ${out}\n`);
  const loader = relative(dir, join(REPO, 'src', 'embed', 'load-component.ts'));
  const plugin = relative(dir, join(REPO, 'fixtures', 'rust', 'plugin', 'plugin.wasm'));
  await writeFile(
    join(dir, 'main.ts'),
    `import { loadComponent } from '${loader}';
import type { Color, Exports, Person } from './plugin.d.ts';

const plugin = await loadComponent<Exports>(${JSON.stringify(plugin)}, { timeout: '1s' });
const { api } = plugin.exports;
const person: Person = await api.birthday({ name: 'Ada', age: 36 });
const color: Color = await api.nextColor('blue');
const counter = await api.Counter.create(2);
const value: number = await counter.increment(3);
const bytes: Uint8Array = await api.reverseBytes(new Uint8Array([1, 2]));
const [count, sum]: [number, bigint] = await api.stats(new BigInt64Array([4n, 5n]));
await counter[Symbol.asyncDispose]();
console.log(JSON.stringify([person, color, value, [...bytes], count, String(sum), await plugin.exports.version()]));
await plugin.close();
`,
  );
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        types: ['node'],
        lib: ['es2024', 'esnext.disposable', 'dom'],
      },
      files: ['main.ts'],
    }),
  );
  const checked = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  const ran = spawnSync(process.execPath, [join(dir, 'main.ts')], { cwd: dir, encoding: 'utf8' });
  assert.equal(ran.status, 0, ran.stderr);
  assert.deepEqual(JSON.parse(ran.stdout), [
    { name: 'Ada', age: 37 },
    'hot-pink',
    5,
    [2, 1],
    2,
    '9',
    'rust plugin 1.0',
  ]);

  // The declarations do catch a wrong call.
  await writeFile(
    join(dir, 'main.ts'),
    `import type { Exports } from './plugin.d.ts';
declare const exports: Exports;
await exports.api.greet(42);
await exports.api.nextColor('purple');
new exports.api.Counter();
`,
  );
  const wrong = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stdout, /main\.ts\(3,.*not assignable to parameter of type 'string'/);
  assert.match(wrong.stdout, /main\.ts\(4,.*'"purple"' is not assignable to parameter of type 'Color'/);
  assert.match(wrong.stdout, /main\.ts\(5,.*Constructor of class 'Counter' is private/);
});

test('nested options and results, tuples, fixed lists, host resources and clashing names', () => {
  const u32: ValueType = { kind: 'primitive', name: 'u32' };
  const string: ValueType = { kind: 'primitive', name: 'string' };
  const stream: ResourceType = {
    kind: 'resource',
    name: 'wasi:io/streams@0.2.10#input-stream',
    imported: true,
  };
  const pointA: ValueType = { kind: 'record', fields: [{ name: 'x', type: u32 }] };
  const pointB: ValueType = { kind: 'record', fields: [{ name: 'label-text', type: string }] };
  const fn = (params: Array<[string, ValueType]>, result?: ValueType): ResolvedItem =>
    ({
      kind: 'func',
      type: { params: params.map(([name, type]) => ({ name, type })), result, async: false },
    }) as const;
  const world: ComponentWorld = {
    imports: [],
    exports: [
      {
        name: 'acme:geo/a@1.0.0',
        item: {
          kind: 'instance',
          shape: {
            exports: new Map<string, ResolvedItem>([
              ['point', { kind: 'type', type: { kind: 'value', type: pointA } }],
              [
                'maybe',
                fn([['default', { kind: 'option', type: { kind: 'option', type: u32 } }]], {
                  kind: 'list',
                  element: { kind: 'result', ok: undefined, err: string },
                }),
              ],
              [
                'fixed',
                fn([['xs', { kind: 'list', element: u32, length: 3 }]], {
                  kind: 'tuple',
                  types: [pointA, u32],
                }),
              ],
              [
                'read',
                fn([['s', { kind: 'borrow', resource: stream }]], {
                  kind: 'result',
                  ok: u32,
                  err: undefined,
                }),
              ],
            ]),
          },
        },
      },
      {
        name: 'acme:geo/b@1.0.0',
        item: {
          kind: 'instance',
          shape: {
            exports: new Map<string, ResolvedItem>([
              ['point', { kind: 'type', type: { kind: 'value', type: pointB } }],
              ['label', fn([['p', pointB]], string)],
            ]),
          },
        },
      },
    ],
  };
  const text = componentDeclarations(world, 'geo.wasm');
  const lines = text.split('\n');
  for (const line of [
    'export interface Point {',
    '  x: number;',
    'export interface BPoint {',
    '  labelText: string;',
    "  maybe(default_: { tag: 'none' } | { tag: 'some'; val: number | undefined }): Promise<Array<{ tag: 'ok'; val: undefined } | { tag: 'err'; val: string }>>;",
    '  fixed(xs: Array<number>): Promise<[Point, number]>;',
    '  /** Rejects with a ComponentError whose `payload` is the err value (undefined). */',
    '  read(s: unknown): Promise<number>;',
    '  label(p: BPoint): Promise<string>;',
    "  'acme:geo/a@1.0.0': A;",
    '  a: A;',
    "  'acme:geo/b@1.0.0': B;",
    '  b: B;',
  ])
    assert.ok(lines.includes(line), `${line}\n--- in ---\n${text}`);
});

test('usage: --help, a missing file, a core module', () => {
  const help = skiff('types', '--help');
  assert.equal(help.status, 0);
  assert.equal(help.stdout, COMMAND_HELP.types);
  assert.match(help.stdout, /^ {2}--out FILE, -o FILE/m);
  const usage = skiff('types');
  assert.equal(usage.status, 2);
  assert.equal(usage.stderr, 'error: usage: skiff types FILE.wasm [-o OUT.d.ts]\n');
  const core = skiff('types', 'fixtures/c/cli/cli.core.wasm');
  assert.equal(core.status, 1);
  assert.match(core.stderr, /cli\.core\.wasm: this is a core WebAssembly module, which has no typed exports/);
  const missing = skiff('types', 'fixtures/none.wasm');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /fixtures\/none\.wasm: cannot read the file \(ENOENT\)/);
});
