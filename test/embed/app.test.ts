/**
 * The embedding API's HTTP side: `loadApp(...).fetch(Request)` answers in-process, through the
 * same core as `skiff up` — compared with `skiff up`'s answers over loopback — with its limits,
 * grants, failures and streaming.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadApp } from '../../src/embed/index.ts';
import { writeTestApp } from '../support/app-manifest.ts';
import { memoryLog } from '../support/memory-log.ts';
import { startSkiffUp, TEST_CACHE_DIR } from '../support/skiff-process.ts';

const options = { cacheDir: TEST_CACHE_DIR };
const HOSTILE = 'fixtures/rust/hostile/hostile.wasm';

/** What must agree between the two transports; date and framing belong to the wire. */
async function answer(response: Response) {
  const wire = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
  // …and so do the headers a client adds on its own (undici's fetch sends accept, user-agent, …).
  const client =
    /^x-echo-header-(accept|accept-encoding|accept-language|sec-fetch-mode|user-agent|content-length)$/;
  const headers = [...response.headers].filter(([name]) => !wire.has(name) && !client.test(name));
  // Each transport says where the request came from; the rest must be the same.
  const body = (await response.text()).replace(/127\.0\.0\.1:\d+|localhost(:\d+)?/g, 'ADDR');
  return {
    status: response.status,
    headers: JSON.stringify(headers).replace(/127\.0\.0\.1:\d+|localhost(:\d+)?/g, 'ADDR'),
    body,
  };
}

test('fetch() answers as skiff up does over node:http, request for request', async () => {
  const app = await loadApp('examples/hello', { ...options, log: memoryLog() });
  const served = await startSkiffUp(['--from', 'examples/hello']);
  try {
    const requests: Array<[string, RequestInit?]> = [
      ['/'],
      ['/js/hi'],
      ['/echo/a/b?x=1', { method: 'POST', body: 'ping', headers: { 'x-test': 'yes' } }],
      ['/echo/put', { method: 'PUT', body: new Uint8Array([0, 1, 2, 255]) }],
      ['/', { method: 'HEAD' }],
      ['/nowhere'],
      ['/.well-known/skiff/health'],
    ];
    for (const [path, init] of requests) {
      const inProcess = await answer(await app.fetch(path, init));
      const overTheWire = await answer(await fetch(`${served.url}${path}`, init));
      assert.deepEqual(inProcess, overTheWire, `${init?.method ?? 'GET'} ${path}`);
    }
    assert.deepEqual(
      app.routes.map((r) => r.route),
      ['/', '/js/...', '/echo/...'],
    );
  } finally {
    await served.stop();
    await app.close();
  }
});

test('fetch() applies the limits: 504 past the timeout, 503 past the CPU limit, 413 past the body limit; the app keeps answering', async () => {
  const log = memoryLog();
  const app = await loadApp(HOSTILE, { ...options, log, timeout: '300ms', maxBody: '1KiB' });
  const cpuBound = await loadApp(HOSTILE, { ...options, log, maxCpu: 150 });
  try {
    const late = await app.fetch('/loop');
    assert.equal(late.status, 504);
    assert.match(
      await late.text(),
      /Gateway Timeout: the component did not finish within its timeout of 300ms/,
    );
    assert.equal(late.headers.get('connection'), 'close');

    const spent = await cpuBound.fetch('/loop');
    assert.equal(spent.status, 503);
    assert.match(await spent.text(), /Service Unavailable: the component .*CPU/);

    const large = await app.fetch('/ok', {
      method: 'POST',
      body: 'x'.repeat(2048),
      headers: { 'content-length': '2048' },
    });
    assert.equal(large.status, 413);

    const ok = await app.fetch('/ok');
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'ok\n');
    assert.ok(
      log.lines.some((l) => /stopped while running/.test(l)),
      log.lines.join('\n'),
    );
  } finally {
    await app.close();
    await cpuBound.close();
  }
});

test('a guest that traps after its head: the body stream errors (the reader learns it is cut), and the next request is served', async () => {
  const log = memoryLog();
  const app = await loadApp(HOSTILE, { ...options, log });
  try {
    const response = await app.fetch('/trap-after-headers');
    assert.equal(response.status, 200);
    await assert.rejects(response.text(), /did not finish its response|cut off/);
    assert.ok(log.lines.includes('[hostile] trap after headers'), log.lines.join('\n'));
    assert.ok(
      log.lines.some((l) => l.startsWith('trap: [hostile] 1 GET /trap-after-headers')),
      log.lines.join('\n'),
    );
    const next = await app.fetch('/ok');
    assert.equal(next.status, 200);
    await next.text();
  } finally {
    await app.close();
  }
});

test('bodies stream both ways: 8 MiB echoed through the C guest arrive intact', async () => {
  const app = await loadApp('examples/hello', { ...options, log: memoryLog() });
  try {
    const chunk = new Uint8Array(64 * 1024).map((_, i) => i % 251);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 128) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const response = await app.fetch('/echo/big', { method: 'POST', body, duplex: 'half' } as RequestInit);
    assert.equal(response.status, 200);
    const received = new Uint8Array(await response.arrayBuffer());
    assert.equal(received.length, 128 * chunk.length);
    for (let i = 0; i < 128; i++)
      assert.deepEqual(received.subarray(i * chunk.length, (i + 1) * chunk.length), chunk, `chunk ${i}`);
  } finally {
    await app.close();
  }
});

test('backpressure: a guest streaming without end waits while nobody reads, and stops when the reader cancels', async () => {
  const log = memoryLog();
  const app = await loadApp(HOSTILE, { ...options, log, maxConcurrent: 1 });
  try {
    const response = await app.fetch('/stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0);
    // Unread, the guest could write gigabytes in this time; backpressure holds it to a window.
    await new Promise((r) => setTimeout(r, 300));
    await reader.cancel();
    const ended = await waitFor(() => log.lines.find((l) => /stream ended after \d+ bytes/.test(l)));
    const written = Number(/after (\d+) bytes/.exec(ended)?.[1]);
    assert.ok(written < 4 * 2 ** 20, `the guest wrote ${written} bytes ahead of a reader that stopped`);
    // The request is over: the component's one slot is free again.
    const next = await app.fetch('/ok');
    assert.equal(next.status, 200);
    await next.text();
  } finally {
    await app.close();
  }
});

test('deny by default: a component sees only the environment the embedder grants', async () => {
  const bare = await loadApp(HOSTILE, { ...options, log: memoryLog() });
  const granted = await loadApp(HOSTILE, { ...options, log: memoryLog(), env: { GREETING: 'hi' } });
  try {
    assert.equal(await (await bare.fetch('/env')).text(), '(none)\n');
    assert.equal(await (await granted.fetch('/env')).text(), 'GREETING=hi\n');
  } finally {
    await bare.close();
    await granted.close();
  }
});

test('a manifest app with per-component settings, and clear errors for bad options and a closed app', async () => {
  const manifest = await writeTestApp('embed', {
    hostile: { source: HOSTILE, settings: ['timeout = "200ms"'] },
  });
  const app = await loadApp(manifest, { ...options, log: memoryLog() });
  const late = await app.fetch('http://example.test/hostile/loop');
  assert.equal(late.status, 504);
  await late.text();
  await app.close();
  await assert.rejects(app.fetch('/hostile/ok'), /this Skiff app is closed/);

  await assert.rejects(
    loadApp(HOSTILE, { timeout: '1.5s' }),
    /timeout: "1.5s" is not a duration; write e.g. '50ms'/,
  );
  await assert.rejects(loadApp(HOSTILE, { maxMemory: '32MB' }), /maxMemory: "32MB" is not a size/);
  await assert.rejects(
    loadApp(HOSTILE, { lifecycle: 'sometimes' as 'fresh' }),
    /lifecycle: "sometimes" is neither 'fresh' nor 'reuse'/,
  );
  await assert.rejects(loadApp(manifest, { route: '/x' }), /route: goes with a \.wasm/);
  await assert.rejects(loadApp('no/such/skiff.toml'), /no\/such/);
});

async function waitFor<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('grant mistakes are named in the API’s words, not the CLI’s flags', async () => {
  await assert.rejects(
    loadApp(HOSTILE, { allowOutbound: ['example.com'] }),
    (e: Error) => /allowOutbound/.test(e.message) && !/--allow-outbound/.test(e.message),
  );
  await assert.rejects(
    loadApp(HOSTILE, { dirs: [{ host: 'no/such/folder', guest: '/data' }] }),
    (e: Error) => /dirs/.test(e.message) && !/--dir/.test(e.message),
  );
});

test('binder: jco serves the same answers (the imports check sees versioned names from either binder)', async () => {
  const app = await loadApp('fixtures/rust/hello/hello.wasm', {
    ...options,
    log: memoryLog(),
    binder: 'jco',
  });
  try {
    const response = await app.fetch('/');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello from rust\n');
  } finally {
    await app.close();
  }
});
