/**
 * `--timeout`: a guest past its deadline is stopped — inside a pure-Wasm loop (the watchdog thread
 * trips the instrumented checks) or while suspended on I/O (a timer) — the client gets 504 (a
 * command exits 124), the reason is logged, and the host goes on serving.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSkiff, startSkiffUp } from '../support/skiff-process.ts';

const HOSTILE = 'fixtures/rust/hostile/hostile.wasm';

async function timed(url: string) {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  return { status: response.status, body, headers: response.headers, ms: performance.now() - started };
}

test('a guest spinning in a pure-Wasm loop is stopped at its timeout: 504, logged with where it was, the next request is served', async () => {
  const skiff = await startSkiffUp(['--component', HOSTILE, '--timeout', '1s']);
  try {
    const [loop, neighbour] = await Promise.all([
      timed(`${skiff.url}/loop`),
      // Sent while the loop holds the only worker's thread: it waits, then is served.
      new Promise((r) => setTimeout(r, 200)).then(() => timed(`${skiff.url}/ok`)),
    ]);
    assert.equal(loop.status, 504);
    assert.equal(loop.body, 'Gateway Timeout: the component did not finish within its timeout of 1s\n');
    assert.equal(loop.headers.get('connection'), 'close');
    assert.ok(loop.ms >= 1000 && loop.ms < 3000, `504 after ${loop.ms} ms`);
    assert.equal(neighbour.status, 200);
    assert.equal(neighbour.body, 'ok\n');
    await skiff.waitForOutput(
      /\[hostile\] request 1 \(GET \/loop\) did not finish within its timeout of 1s; stopped while running, after [0-9.]+ ms of CPU:\n {2}guest backtrace:\n.*hostile4spin/,
    );
    const after = await timed(`${skiff.url}/ok`);
    assert.equal(after.status, 200);
  } finally {
    await skiff.stop();
  }
});

test('a guest waiting on I/O past its timeout is stopped: 504 at the deadline, not when its sleep would end', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/sleep/sleep.wasm', '--timeout', '500ms']);
  try {
    const slow = await timed(`${skiff.url}/?ms=60000`);
    assert.equal(slow.status, 504);
    assert.ok(slow.ms >= 500 && slow.ms < 2500, `504 after ${slow.ms} ms`);
    await skiff.waitForOutput(
      /\[sleep\] request 1 \(GET \/\?ms=60000\) did not finish within its timeout of 500ms; stopped while waiting on I\/O/,
    );
    const quick = await timed(`${skiff.url}/?ms=10`);
    assert.equal(quick.status, 200);
    assert.equal(quick.body, 'slept 10ms\n');
  } finally {
    await skiff.stop();
  }
});

test('skiff run --timeout: a command spinning forever exits 124 with the reason and where it was', async () => {
  const { code, stdout, stderr } = await runSkiff([
    'run',
    '--timeout',
    '1s',
    'fixtures/c/cli/cli.wasm',
    '--spin',
  ]).done;
  assert.equal(code, 124);
  assert.equal(stdout, 'args: --spin\n', 'what the guest printed before it spun is kept');
  assert.match(
    stderr,
    /error: fixtures\/c\/cli\/cli\.wasm did not finish within its timeout of 1s; stopped while running:\n {2}guest backtrace:/,
  );
});

test('skiff run --timeout: a command blocked reading stdin exits 124 at the deadline', async () => {
  const started = performance.now();
  const { code, stderr } = await runSkiff(
    ['run', '--timeout', '300ms', 'fixtures/c/cli/cli.core.wasm', '--stdin'],
    { input: null },
  ).done;
  assert.equal(code, 124);
  assert.match(stderr, /did not finish within its timeout of 300ms; stopped while waiting on I\/O/);
  assert.ok(performance.now() - started < 10_000);
});

test('--timeout takes a duration with a unit, from 1ms to 60m', async () => {
  for (const bad of ['0s', '2', '1.5s', '61m']) {
    const { code, stderr } = await runSkiff(['run', '--timeout', bad, 'fixtures/c/cli/cli.wasm']).done;
    assert.equal(code, 2, bad);
    assert.match(
      stderr,
      new RegExp(`--timeout ${bad.replace('.', '\\.')}: expected a duration from 1ms to 60m`),
    );
  }
});
