/** Bad input gets a clear error that says what, where and how to fix it — and never a stack dump. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
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
  assert.match(stderr, /truncated\.wasm: not a valid component/);
  assert.match(stderr, /hint: rebuild it/);
});

test('a truncated core module', async () => {
  const whole = readFileSync('fixtures/c/cli/cli.core.wasm');
  const file = scratchFile('truncated-core.wasm', whole.subarray(0, 100));
  const stderr = await upFails(['--component', file]);
  assert.match(stderr, /truncated-core\.wasm: the core WebAssembly module is truncated or malformed/);
});

test('a core module where a component is needed says how to adapt it', async () => {
  const stderr = await upFails(['--component', 'fixtures/c/cli/cli.core.wasm']);
  assert.match(stderr, /cli\.core\.wasm: this is a core WebAssembly module, not a component/);
  assert.match(stderr, /wasm32-wasip2/);
  assert.match(stderr, /--adapt wasi_snapshot_preview1\.reactor\.wasm/);
});

test('a component that exports no HTTP handler lists what it does export', async () => {
  const stderr = await upFails(['--component', 'fixtures/rust/cli/cli.wasm']);
  assert.match(stderr, /does not export wasi:http\/incoming-handler; it exports: wasi:cli\/run@0\.2\.\d+/);
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
