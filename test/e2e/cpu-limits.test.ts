/**
 * CPU limits (issue #11) from the flag (`--max-cpu`) and the embedding option (`maxCpuMs`; the
 * manifest's `max_cpu` is in test/solo/fair-scheduling.solo.ts): a guest past its limit is stopped
 * with a 503 and a log line naming the component and the CPU it used, and only time the guest runs
 * counts: a guest that sleeps first is not billed for the sleep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadApp } from '../../src/manifest/load.ts';
import type { HostLog } from '../../src/triggers/http/log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import { writeTestApp } from '../support/app-manifest.ts';
import { startSkiffUp, TEST_CACHE_DIR } from '../support/skiff-process.ts';

const HOSTILE = 'fixtures/rust/hostile/hostile.wasm';
test('--max-cpu counts only the time a guest runs: one that sleeps 400 ms then spins is stopped after 400 ms + its 300 ms of CPU, and --log-requests shows both', async () => {
  const skiff = await startSkiffUp(['--component', HOSTILE, '--max-cpu', '300ms', '--log-requests']);
  try {
    const started = performance.now();
    const response = await fetch(`${skiff.url}/sleep-then-spin?ms=400`);
    const wall = performance.now() - started;
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('connection'), 'close');
    assert.match(await response.text(), /used 3\d\d\.\d ms of CPU, past its limit of 300ms/);
    assert.ok(wall >= 700, `stopped after ${wall.toFixed(0)} ms: the sleep was billed as CPU`);
    await skiff.waitForOutput(
      /\[hostile\] request 1 GET \/sleep-then-spin\?ms=400 503 wall \d+\.\d ms cpu 3\d\d\.\d ms/,
    );
    const ok = await fetch(`${skiff.url}/ok`);
    assert.equal(ok.status, 200);
    await skiff.waitForOutput(/\[hostile\] request 2 GET \/ok 200 wall \d+\.\d ms cpu \d+\.\d ms/);
  } finally {
    await skiff.stop();
  }
});

test('embedding: startHttpServer({ maxCpuMs }) stops a spinning guest, and the server it runs in keeps serving', async () => {
  const manifest = await writeTestApp('embed-cpu', { wasm: { source: HOSTILE } });
  const errors: string[] = [];
  const log: HostLog = {
    info: () => {},
    warn: () => {},
    error: (m) => errors.push(m),
    guest: () => {},
    trap: (_id, _request, what) => errors.push(what),
  };
  const server = await startHttpServer(await loadApp(manifest), {
    host: '127.0.0.1',
    port: 0,
    log,
    cacheDir: TEST_CACHE_DIR,
    maxCpuMs: 200,
  });
  try {
    const [spin, ok] = await Promise.all([
      fetch(`${server.url}/wasm/loop`),
      new Promise((r) => setTimeout(r, 50)).then(() => fetch(`${server.url}/wasm/ok`)),
    ]);
    assert.equal(ok.status, 200);
    const body = await spin.text();
    assert.equal(spin.status, 503, `${body}; the server logged:\n${errors.join('\n')}`);
    assert.match(body, /past its limit of 200ms/);
    assert.ok(
      errors.some((e) => /\[wasm\] request \d+ \(GET \/wasm\/loop\) used 2\d\d\.\d ms of CPU/.test(e)),
      errors.join('\n'),
    );
  } finally {
    await server.close();
  }
});
