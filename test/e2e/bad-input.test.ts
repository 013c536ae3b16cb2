/** Bad input gets a clear error that says what, where and how to fix it — and never a stack dump. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { encodeLeb } from '../../src/engine/wasm-binary.ts';
import { runSkiff } from '../support/skiff-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'skiff-bad-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function scratchFile(name: string, content: string | Uint8Array): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

async function upFails(args: string[]): Promise<string> {
  const { code, stderr } = await runSkiff(['up', '--listen', '127.0.0.1:0', ...args]).done;
  assert.equal(code, 1, `expected exit 1, got ${code}: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no JavaScript stack trace for user errors');
  return stderr;
}

test('a file that is not WebAssembly', async () => {
  const file = scratchFile('notes.wasm', 'hello, I am text');
  const stderr = await upFails(['--component', file]);
  assert.match(stderr, /notes\.wasm: not a WebAssembly file \(it starts with 0x68656c6c/);
});

test('a truncated component', async () => {
  const whole = readFileSync('fixtures/rust/hello/hello.wasm');
  const file = scratchFile('truncated.wasm', whole.subarray(0, Math.floor(whole.length / 2)));
  const stderr = await upFails(['--component', file]);
  assert.match(
    stderr,
    /truncated\.wasm: not a valid component: unexpected end of the core module section: \d+ more bytes needed/,
  );
  assert.match(stderr, /at byte \d+/);
  assert.match(stderr, /hint: the file is truncated .*rebuild it/);
});

test('a truncated core module', async () => {
  const whole = readFileSync('fixtures/c/cli/cli.core.wasm');
  const file = scratchFile('truncated-core.wasm', whole.subarray(0, 100));
  const stderr = await upFails(['--component', file]);
  assert.match(stderr, /truncated-core\.wasm: the core WebAssembly module is truncated, malformed or over/);
});

test('a core module where a component is needed says how to adapt it', async () => {
  const stderr = await upFails(['--component', 'fixtures/c/cli/cli.core.wasm']);
  assert.match(stderr, /cli\.core\.wasm: this is a core WebAssembly module, not a component/);
  assert.match(stderr, /wasm32-wasip2/);
  assert.match(stderr, /--adapt wasi_snapshot_preview1\.reactor\.wasm/);
});

test('a component that exports no HTTP handler lists what it does export', async () => {
  const stderr = await upFails(['--component', 'fixtures/rust/cli/cli.wasm']);
  assert.match(
    stderr,
    /does not export wasi:http\/incoming-handler or wasi:http\/handler; it exports: wasi:cli\/run@0\.2\.\d+/,
  );
  assert.match(stderr, /skiff run cli\.wasm/);
});

test('skiff run on an HTTP handler says to serve it instead', async () => {
  const { code, stderr } = await runSkiff(['run', 'fixtures/rust/hello/hello.wasm']).done;
  assert.equal(code, 1);
  assert.match(stderr, /does not export wasi:cli\/run; it exports: wasi:http\/incoming-handler@0\.2\.\d+/);
  assert.match(stderr, /skiff up --component hello\.wasm/);
});

test('a port in use', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as { port: number };
  try {
    const { code, stderr } = await runSkiff([
      'up',
      '--component',
      'fixtures/rust/hello/hello.wasm',
      '--listen',
      `127.0.0.1:${port}`,
    ]).done;
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
    assert.match(stderr, /--listen 127\.0\.0\.1:0/);
  } finally {
    blocker.close();
  }
});

test('a manifest error names file:line and a fix', async () => {
  const dir = mkdtempSync(join(scratch, 'app-'));
  writeFileSync(
    join(dir, 'skiff.toml'),
    [
      'skiff_manifest_version = 1',
      '[application]',
      'name = "bad"',
      '[component.web]',
      'sorce = "web.wasm"',
      '',
    ].join('\n'),
  );
  const stderr = await upFails(['--from', dir]);
  assert.match(stderr, /skiff\.toml:5: .*unknown key "sorce".*did you mean "source"/);
});

test('usage errors exit 2 and say what was expected', async () => {
  const { code, stderr } = await runSkiff(['up', '--listen', 'nonsense']).done;
  assert.equal(code, 2);
  assert.match(stderr, /--listen nonsense: expected HOST:PORT/);
  for (const args of [
    ['up', '--binder', 'glue', '--component', 'fixtures/rust/hello/hello.wasm'],
    ['run', '--binder', 'glue', 'fixtures/rust/cli/cli.wasm'],
  ]) {
    const binder = await runSkiff(args).done;
    assert.equal(binder.code, 2, args[0]);
    assert.match(binder.stderr, /--binder glue: expected skiff .* or jco/);
  }
});

test("--binder jco runs the same guest through jco's generated glue", async () => {
  for (const binder of ['skiff', 'jco']) {
    const { code, stdout } = await runSkiff([
      'run',
      '--binder',
      binder,
      'fixtures/rust/cli/cli.wasm',
      'a',
      'b',
    ]).done;
    assert.equal(code, 0, binder);
    assert.equal(stdout, 'args: a b\n', binder);
  }
});

test('a mount whose host folder does not exist is refused before the guest runs', async () => {
  const { code, stdout, stderr } = await runSkiff([
    'run',
    '--dir',
    '/no/such/folder::/data',
    'fixtures/rust/cli/cli.wasm',
  ]).done;
  assert.equal(code, 1);
  assert.equal(stdout, '', 'the guest must not have run');
  assert.match(stderr, /component "cli\.wasm": mount \/no\/such\/folder -> \/data: ENOENT/);
});

/** A preview1 command (`skiff run` adapts it) around the given module fields. */
async function command(name: string, fields: string): Promise<string> {
  const wat = `(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    ${fields})`;
  return scratchFile(name, await parse(wat));
}

async function runFails(args: string[]): Promise<string> {
  const { code, stderr } = await runSkiff(['run', ...args]).done;
  assert.equal(code, 1, `expected exit 1, got ${code}: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no JavaScript stack trace for user errors');
  return stderr;
}

test('a wasm bomb: a table declaring ten million entries is refused before anything is instantiated', async () => {
  const file = await command('table-bomb.wasm', '(table 10000000 funcref) (func (export "_start"))');
  const stderr = await runFails([file]);
  assert.match(
    stderr,
    /table-bomb\.wasm: table 0 declares 10000000 entries to start with, more than the limit of 100000/,
  );
  assert.match(stderr, /hint: tables that large are refused/);
});

test('a table cannot grow past the cap: table.grow fails inside the guest', async () => {
  // Exits 101 when growing by a million entries fails (-1), 100 if it succeeds.
  const file = await command(
    'table-grow.wasm',
    `(table 1 funcref)
     (func (export "_start")
       (call $exit (i32.add (i32.const 100)
         (i32.eq (i32.const -1) (table.grow (ref.null func) (i32.const 1000000))))))`,
  );
  const { code } = await runSkiff(['run', file]).done;
  assert.equal(code, 101);
});

test('a wasm bomb: more functions than the engine allows is refused with the reason', async () => {
  const count = 1_000_001;
  const section = (id: number, payload: number[]) => [id, ...encodeLeb(payload.length), ...payload];
  const exportName = [...new TextEncoder().encode('_start')];
  const bytes = Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 0, 0]), // one type: [] -> []
    ...section(3, [...encodeLeb(count), ...new Array<number>(count).fill(0)]),
    ...section(7, [1, exportName.length, ...exportName, 0, 0]),
    ...section(10, [...encodeLeb(count), ...new Array<number[]>(count).fill([2, 0, 0x0b]).flat()]),
  ]);
  const stderr = await runFails([scratchFile('function-bomb.wasm', bytes)]);
  assert.match(stderr, /function-bomb\.wasm: .*functions count of 1000001 exceeds internal limit of 1000000/);
});

test('a wasm bomb: a memory declaring 4 GiB to start is refused under --max-memory', async () => {
  const file = scratchFile(
    'memory-bomb.wasm',
    await parse('(module (memory (export "memory") 65536) (func (export "_start")))'),
  );
  const stderr = await runFails(['--max-memory', '64MiB', file]);
  assert.match(
    stderr,
    /memory-bomb\.wasm: it needs 4096 MiB of memory to start, more than the limit of 64 MiB/,
  );
});

test('unbounded recursion on the engine stack: exit 134 and a message that says it is a stack overflow', async () => {
  const file = await command(
    'recurse.wasm',
    `(func $deeper (param i32) (result i32) (i32.add (call $deeper (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
     (func (export "_start") (drop (call $deeper (i32.const 0))))`,
  );
  const { code, stderr } = await runSkiff(['run', file]).done;
  assert.equal(code, 134);
  assert.match(
    stderr,
    /recurse\.wasm trapped:\nRangeError: Maximum call stack size exceeded \(a stack overflow: the guest recursed too deeply\)\nguest backtrace:\n {2}at deeper /,
  );
});
