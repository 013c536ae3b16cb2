/** Limits that protect the host: load shedding and memory caps. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { appFromComponent } from '../../src/manifest/load.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import { runSkiff, startSkiffUp, TEST_CACHE_DIR } from '../support/skiff-process.ts';

test('--max-concurrent: requests beyond the limit get 503 with Retry-After instead of queuing', async () => {
  const skiff = await startSkiffUp([
    '--component',
    'fixtures/rust/sleep/sleep.wasm',
    '--max-concurrent',
    '2',
  ]);
  try {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${skiff.url}/?ms=500`).then(async (r) => ({
          status: r.status,
          retry: r.headers.get('retry-after'),
          body: await r.text(),
        })),
      ),
    );
    const ok = answers.filter((a) => a.status === 200);
    const shed = answers.filter((a) => a.status === 503);
    assert.equal(ok.length, 2, JSON.stringify(answers));
    assert.equal(shed.length, 3);
    for (const a of shed) {
      assert.equal(a.retry, '1');
      assert.match(a.body, /component "sleep" is handling 2 requests, its limit/);
    }
    const after = await fetch(`${skiff.url}/?ms=0`);
    assert.equal(after.status, 200, 'capacity comes back once requests finish');
    await after.text();
  } finally {
    await skiff.stop();
  }
});

test('--max-memory: a component that needs more memory than allowed to start is refused with a clear error', async () => {
  const { code, stderr } = await runSkiff([
    'up',
    '--listen',
    '127.0.0.1:0',
    '--workers',
    '1',
    '--component',
    'fixtures/js/hello/hello.wasm',
    '--max-memory',
    '8MiB',
  ]).done;
  assert.equal(code, 1);
  assert.match(stderr, /hello\.wasm: it needs [\d.]+ MiB of memory to start, more than the limit of 8 MiB/);
  assert.match(stderr, /hint: raise --max-memory/);
});

test('--max-memory takes a size with a binary unit', async () => {
  const { code, stderr } = await runSkiff([
    'up',
    '--component',
    'fixtures/rust/hello/hello.wasm',
    '--max-memory',
    '64MB',
  ]).done;
  assert.equal(code, 2);
  assert.match(stderr, /--max-memory 64MB: expected a size such as 64MiB/);
});

test('--max-memory: growing past the cap fails inside the guest (its allocator sees out-of-memory), the host keeps serving', async () => {
  const skiff = await startSkiffUp([
    '--component',
    'fixtures/rust/hostile/hostile.wasm',
    '--max-memory',
    '32MiB',
  ]);
  try {
    const small = await fetch(`${skiff.url}/alloc?mb=8`);
    assert.equal(small.status, 200);
    assert.equal(await small.text(), 'allocated 8 MiB\n');
    const bomb = await fetch(`${skiff.url}/alloc?mb=64`);
    assert.equal(bomb.status, 507);
    assert.equal(await bomb.text(), 'allocation of 64 MiB failed\n');
    assert.equal(await (await fetch(`${skiff.url}/ok`)).text(), 'ok\n');
  } finally {
    await skiff.stop();
  }
});

test('unbounded recursion traps: 500 for that request, logged, and the next request is served', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/hostile/hostile.wasm']);
  try {
    const res = await fetch(`${skiff.url}/recurse`);
    assert.equal(res.status, 500);
    await res.text();
    await skiff.waitForOutput(/\(GET \/recurse\) trapped:\n\s+RuntimeError: /);
    await skiff.waitForOutput(/guest backtrace:\n\s+at .*recurse/);
    assert.equal(await (await fetch(`${skiff.url}/ok`)).text(), 'ok\n');
  } finally {
    await skiff.stop();
  }
});

test('a trap after the head was sent: the client gets the head and the bytes so far, then a cut connection', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/hostile/hostile.wasm']);
  try {
    const url = new URL(`${skiff.url}/trap-after-headers`);
    const outcome = await new Promise<{ status: number | undefined; body: string; aborted: boolean }>(
      (resolve) => {
        request({ host: url.hostname, port: url.port, path: url.pathname, agent: false }, (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('error', () => resolve({ status: res.statusCode, body, aborted: true }));
          res.on('end', () => resolve({ status: res.statusCode, body, aborted: !res.complete }));
        }).end();
      },
    );
    assert.deepEqual(outcome, { status: 200, body: 'partial', aborted: true });
    assert.equal(await (await fetch(`${skiff.url}/ok`)).text(), 'ok\n');
  } finally {
    await skiff.stop();
  }
});

test('--max-body: a declared length over the limit gets 413; a chunked body that runs over is cut off', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/echo/echo.wasm', '--max-body', '64KiB']);
  try {
    const declared = await fetch(`${skiff.url}/`, { method: 'POST', body: 'x'.repeat(70_000) });
    assert.equal(declared.status, 413);
    assert.match(await declared.text(), /at most 65536 bytes/);
    const fits = await fetch(`${skiff.url}/`, { method: 'POST', body: 'y'.repeat(60_000) });
    assert.equal((await fits.text()).length, 60_000);
    // No content-length: the limit holds while streaming, and the echo never gets the whole body.
    const url = new URL(skiff.url);
    const received = await new Promise<number>((resolve) => {
      const req = request(
        { host: url.hostname, port: url.port, method: 'POST', path: '/', agent: false },
        (res) => {
          let bytes = 0;
          res.on('data', (d) => {
            bytes += d.length;
          });
          res.on('end', () => resolve(bytes));
          res.on('error', () => resolve(bytes));
        },
      );
      req.on('error', () => resolve(-1));
      for (let i = 0; i < 20; i++) req.write('z'.repeat(10_000));
      req.end();
    });
    assert.ok(
      received < 70_000,
      `the guest echoed ${received} bytes of a 200,000-byte body over a 64 KiB limit`,
    );
    assert.equal(await (await fetch(`${skiff.url}/`, { method: 'POST', body: 'ok' })).text(), 'ok');
  } finally {
    await skiff.stop();
  }
});

test('a request head over 16 KiB gets 431', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/hello/hello.wasm']);
  try {
    const res = await fetch(`${skiff.url}/`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    assert.equal(res.status, 431);
    await res.arrayBuffer();
    assert.equal(await (await fetch(`${skiff.url}/`)).text(), 'hello from rust\n');
  } finally {
    await skiff.stop();
  }
});

test('--host-max-concurrent: requests beyond the server-wide limit get 503, whichever component they are for', async () => {
  const skiff = await startSkiffUp([
    '--component',
    'fixtures/rust/sleep/sleep.wasm',
    '--host-max-concurrent',
    '2',
  ]);
  try {
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        fetch(`${skiff.url}/?ms=500`).then(async (r) => ({ status: r.status, body: await r.text() })),
      ),
    );
    assert.equal(answers.filter((a) => a.status === 200).length, 2, JSON.stringify(answers));
    for (const a of answers.filter((a) => a.status === 503)) {
      assert.equal(a.body, 'Service Unavailable: the server is handling 2 requests, its limit\n');
    }
  } finally {
    await skiff.stop();
  }
});

test('a slow client (slowloris) that never finishes its head is cut off at the head timeout', async () => {
  const app = appFromComponent({
    source: 'fixtures/rust/hello/hello.wasm',
    route: undefined,
    environment: {},
    files: [],
    allowedOutboundHosts: [],
  });
  const silent = { info() {}, warn() {}, error() {}, guest() {}, trap() {} };
  const server = await startHttpServer(app, {
    host: '127.0.0.1',
    port: 0,
    log: silent,
    cacheDir: TEST_CACHE_DIR,
    headersTimeoutMs: 500,
  });
  try {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    const started = performance.now();
    // A head that never ends: one header line, then a byte every 100 ms.
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X'), 100);
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d;
    });
    await once(socket, 'close');
    clearInterval(drip);
    const took = performance.now() - started;
    assert.match(answer, /^HTTP\/1\.1 408 Request Timeout/);
    assert.ok(took >= 450 && took < 2500, `cut off after ${took} ms`);
  } finally {
    await server.close();
  }
});

test('a client trickling its body keeps a guest no longer than its timeout: the response is cut there', async () => {
  // The echo guest sends its head at once and streams the body back as it arrives, so at the
  // deadline the only honest signal left is a cut connection (a guest still before its head gets 504).
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/echo/echo.wasm', '--timeout', '500ms']);
  try {
    const started = performance.now();
    const outcome = await new Promise<{ status?: number; complete: boolean }>((resolve, reject) => {
      const req = request(`${skiff.url}/`, { method: 'POST' }, (res) => {
        res.resume();
        res.on('close', () => resolve({ status: res.statusCode, complete: res.complete }));
      });
      req.on('error', () => {});
      const drip = setInterval(() => req.write('x'), 100);
      req.on('close', () => clearInterval(drip));
      setTimeout(() => reject(new Error('the response was never cut')), 10_000).unref();
    });
    const took = performance.now() - started;
    assert.deepEqual(outcome, { status: 200, complete: false });
    assert.ok(took >= 450 && took < 2500, `cut after ${took} ms`);
    await skiff.waitForOutput(/did not finish within its timeout of 500ms; stopped while waiting on I\/O/);
  } finally {
    await skiff.stop();
  }
});
