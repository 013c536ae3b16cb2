/**
 * What a client sees when a guest is stopped at its timeout or fails mid-body (issue #8, items 7
 * and 8): never an empty reply. Before the head is committed it is a whole 504; after, the head
 * (sent as soon as the guest set it) and the bytes so far, then a closed connection.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { writeTestApp } from '../support/app-manifest.ts';
import { rawExchange, withoutDate } from '../support/raw-http.ts';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

let skiff: SkiffProcess;
before(async () => {
  const timeout = ['timeout = "300ms"'];
  const manifest = await writeTestApp('wire', {
    hostile: { source: 'fixtures/rust/hostile/hostile.wasm', settings: timeout },
    responder: { source: 'fixtures/rust/responder/responder.wasm', settings: timeout },
    wstd: { source: 'fixtures/rust/wstd-guest/wstd-guest.wasm' },
  });
  skiff = await startSkiffUp(['--from', manifest]);
});
after(() => skiff.stop());

/** Generous quiet time: looping guests hold the worker's one thread for their whole timeout, one after another. */
const get = (path: string) =>
  rawExchange(skiff.url, `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`, {
    quietMs: 10_000,
    maxMs: 30_000,
  });

test('a guest that set its response and then waits past its timeout: the head, then a cut — not an empty reply', async () => {
  const { text, ended, firstByteMs } = await get('/responder/respond?wait_ms=5000&body=never');
  assert.equal(
    withoutDate(text),
    'HTTP/1.1 200 OK\r\ndate: -\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  assert.equal(ended, 'closed');
  assert.ok(
    (firstByteMs ?? Infinity) < 250,
    `the head came after ${firstByteMs} ms, before the 300 ms timeout`,
  );
});

test('a burst of requests stopped at their timeout: every one gets a 504 or its head, none an empty reply', async () => {
  const paths = [
    '/hostile/loop',
    '/hostile/sleep-then-spin?ms=100',
    '/hostile/fib?n=60',
    '/responder/respond?wait_ms=5000',
  ];
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) => get(paths[i % paths.length] as string)),
  );
  const empty = answers.filter((a) => a.text.length === 0).length;
  assert.equal(empty, 0, `${empty} of ${answers.length} empty replies`);
  for (const [i, a] of answers.entries()) {
    const expected =
      i % paths.length === 3 ? /^HTTP\/1\.1 200 OK\r\n/ : /^HTTP\/1\.1 504 Gateway Timeout\r\n/;
    assert.match(a.text, expected, paths[i % paths.length]);
    assert.equal(a.ended, 'closed');
  }
});

test('wstd guests: the head goes out when the handler returns, not with the first body chunk', async () => {
  const wait = await get('/wstd/wait-body');
  assert.match(wait.text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n5\r\ndone\n\r\n0\r\n\r\n$/);
  assert.ok(
    (wait.firstByteMs ?? Infinity) < 500,
    `head after ${wait.firstByteMs} ms; the body comes after 1 s`,
  );
  const stream = await get('/wstd/stream');
  assert.match(stream.text, /chunk 0\n[\s\S]*chunk 4\n\r\n0\r\n\r\n$/);
});

test('wstd guest whose body fails after the head: 200, the bytes so far, then a cut connection', async () => {
  const { text, ended } = await get('/wstd/fail-body');
  assert.match(
    withoutDate(text),
    /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\n[\s\S]*\r\n\r\n8\r\npartial\n\r\n$/,
  );
  assert.equal(ended, 'closed');
});
