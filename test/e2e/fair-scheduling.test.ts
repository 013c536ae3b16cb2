/**
 * No guest delays another (issue #11): on a 2-worker server, guests spinning forever — in a pure
 * Wasm loop (Rust) and in JavaScript (componentize-js) — are time-sliced, so healthy requests keep
 * their latency while they spin, and each spinner is stopped at its CPU limit with a 503 and a log
 * line naming the component and the CPU it used. The limit comes from the manifest (`max_cpu`),
 * the flag (`--max-cpu`) and the embedding option (`maxCpuMs`), and counts only time the guest
 * runs: a guest that sleeps first is not billed for the sleep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadApp } from '../../src/manifest/load.ts';
import type { HostLog } from '../../src/triggers/http/log.ts';
import { startHttpServer } from '../../src/triggers/http/server.ts';
import { writeTestApp } from '../support/app-manifest.ts';
import { startSkiffUp, TEST_CACHE_DIR } from '../support/skiff-process.ts';

const HOSTILE = 'fixtures/rust/hostile/hostile.wasm';
const JS_SPIN = 'fixtures/js/spin/spin.wasm';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * One request on a new connection (the cluster hands connections to the workers in turn, so the
 * requests reach both), timed to the end of its body.
 */
async function get(url: string) {
  const started = performance.now();
  const response = await fetch(url, { headers: { connection: 'close' } });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

test('two workers, a Wasm and a JS guest spinning forever: healthy requests keep a p99 under 20 ms, none is lost, the spinners are stopped at max_cpu', async (t) => {
  const manifest = await writeTestApp('fair', {
    wasm: { source: HOSTILE, settings: ['max_cpu = "1500ms"', 'timeout = "20s"'] },
    js: { source: JS_SPIN, settings: ['max_cpu = "1500ms"', 'timeout = "20s"'] },
  });
  const skiff = await startSkiffUp(['--from', manifest, '--workers', '2']);
  try {
    // Warm both workers' pools and compiled code, so the measurement is of sharing, not of start-up.
    for (let i = 0; i < 40; i++) assert.equal((await get(`${skiff.url}/wasm/ok`)).status, 200);
    const spinners = Promise.all([get(`${skiff.url}/wasm/loop`), get(`${skiff.url}/js/spin`)]);
    let spinning = true;
    spinners.finally(() => {
      spinning = false;
    });
    // Let the spinners start before measuring.
    await new Promise((r) => setTimeout(r, 100));
    const latencies: number[] = [];
    const failures: string[] = [];
    const client = async () => {
      while (spinning) {
        const { status, body, ms } = await get(`${skiff.url}/wasm/ok`);
        if (status !== 200 || body !== 'ok\n') failures.push(`${status} ${body}`);
        else latencies.push(ms);
      }
    };
    await Promise.all([client(), client()]);
    const [wasmSpin, jsSpin] = await spinners;

    assert.deepEqual(failures, [], 'every healthy request is answered');
    assert.ok(latencies.length >= 200, `only ${latencies.length} healthy requests while the guests spun`);
    const sorted = latencies.sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const max = sorted[sorted.length - 1] as number;
    const summary = `healthy p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${sorted.length} requests`;
    t.diagnostic(summary);
    assert.ok(p99 <= 20, summary);
    // Not one waited for a spinner to be stopped (unsliced, one on its worker would wait 1.5 s).
    assert.ok(max < 200, summary);

    for (const spinner of [wasmSpin, jsSpin]) {
      assert.equal(spinner.status, 503);
      assert.match(
        spinner.body,
        /^Service Unavailable: the component used 15\d\d\.\d ms of CPU, past its limit of 1500ms\n$/,
      );
    }
    await skiff.waitForOutput(
      /\[wasm\] request \d+ \(GET \/wasm\/loop\) used 15\d\d\.\d ms of CPU, past its limit of 1500ms; stopped:\n {2}guest backtrace:\n.*hostile4spin/,
    );
    await skiff.waitForOutput(
      /\[js\] request \d+ \(GET \/js\/spin\) used 15\d\d\.\d ms of CPU, past its limit of 1500ms; stopped:/,
    );
  } finally {
    await skiff.stop();
  }
});

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
    assert.equal(spin.status, 503);
    assert.match(await spin.text(), /past its limit of 200ms/);
    assert.ok(
      errors.some((e) => /\[wasm\] request \d+ \(GET \/wasm\/loop\) used 2\d\d\.\d ms of CPU/.test(e)),
      errors.join('\n'),
    );
  } finally {
    await server.close();
  }
});
