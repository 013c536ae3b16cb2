/**
 * WASI 0.3 HTTP middleware in the manifest (issue #10): `fixtures/rust/p3-middleware` (imports and
 * exports `wasi:http/handler@0.3`) placed in front of `fixtures/rust/p3-http`. The answers are the
 * ones wasmtime gives for the same two components composed with `wac plug` (recorded in the
 * middleware's README: `wac` is not part of CI): a header added to every response, and on `/shout…`
 * the path rewritten and the body upper-cased while it streams. A chain that cannot work is refused
 * at load, naming the component at fault.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, runSkiff, type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const APP = join(REPO, 'fixtures/rust/p3-http/p3-http.wasm');
const MIDDLEWARE = join(REPO, 'fixtures/rust/p3-middleware/p3-middleware.wasm');
const P2_HELLO = join(REPO, 'fixtures/rust/hello/hello.wasm');

async function manifest(app: string, middleware: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-middleware-'));
  const file = join(dir, 'skiff.toml');
  await writeFile(
    file,
    [
      'skiff_manifest_version = 1',
      '[application]',
      'name = "mw"',
      '[[trigger.http]]',
      'route = "/..."',
      'component = "app"',
      '[component.app]',
      `source = "${app}"`,
      'middleware = ["shout"]',
      '[component.shout]',
      `source = "${middleware}"`,
      '',
    ].join('\n'),
  );
  return file;
}

let skiff: SkiffProcess;
before(async () => {
  skiff = await startSkiffUp(['--from', await manifest(APP, MIDDLEWARE), '--workers', '1']);
});
after(() => skiff.stop());

async function get(path: string, init?: RequestInit) {
  const response = await fetch(`${skiff.url}${path}`, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

test('every response passes through the middleware, which adds its header', async () => {
  for (const [path, status, body] of [
    ['/hello', 200, 'hello from wasi 0.3\n'],
    ['/nope', 404, 'no route: GET /nope\n'],
  ] as const) {
    const answer = await get(path);
    assert.deepEqual([answer.status, answer.body], [status, body], path);
    assert.equal(answer.headers.get('x-middleware'), 'p3', path);
    assert.equal(answer.headers.get('content-type'), 'text/plain', path);
  }
});

test('/shout…: the middleware rewrites the path for the handler and upper-cases its body', async () => {
  assert.deepEqual((await get('/shout/hello')).body, 'HELLO FROM WASI 0.3\n');
  assert.deepEqual((await get('/shout/nope')).body, 'NO ROUTE: GET /NOPE\n');
  const echo = await get('/shout/echo', {
    method: 'POST',
    headers: { 'content-type': 'application/x-test' },
    body: 'hello world',
  });
  assert.deepEqual(
    [echo.status, echo.headers.get('content-type'), echo.body],
    [200, 'application/x-test', 'HELLO WORLD'],
  );
});

test('the body streams through the middleware: "A" arrives before the handler writes "B" 200 ms later', async () => {
  const started = performance.now();
  const response = await fetch(`${skiff.url}/shout/slow`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  const firstMs = performance.now() - started;
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    rest += Buffer.from(chunk.value).toString();
  const totalMs = performance.now() - started;
  assert.equal(Buffer.from(first.value as Uint8Array).toString() + rest, 'AB');
  assert.ok(firstMs < 150, `"A" came after ${Math.round(firstMs)} ms`);
  assert.ok(totalMs >= 190, `the whole body came after ${Math.round(totalMs)} ms, before the handler's wait`);
});

test('a trap in the handler behind the middleware is a 500; the next request is served', async () => {
  assert.equal((await get('/trap')).status, 500);
  const next = await get('/hello');
  assert.deepEqual([next.status, next.body], [200, 'hello from wasi 0.3\n']);
});

test('a chain that cannot work is refused at load, naming the component at fault', async () => {
  const p2Middleware = await runSkiff([
    'up',
    '--from',
    await manifest(APP, P2_HELLO),
    '--listen',
    '127.0.0.1:0',
  ]).done;
  assert.notEqual(p2Middleware.code, 0);
  assert.match(
    p2Middleware.stderr,
    /component "shout" is listed as middleware of "app" but does not both import and export wasi:http\/handler@0\.3/,
  );
  const p2App = await runSkiff([
    'up',
    '--from',
    await manifest(P2_HELLO, MIDDLEWARE),
    '--listen',
    '127.0.0.1:0',
  ]).done;
  assert.notEqual(p2App.code, 0);
  assert.match(
    p2App.stderr,
    /component "app" has middleware, but its handler is wasi:http\/incoming-handler/,
  );
});
