/**
 * No guest delays another (issue #11): on a 2-worker server, guests spinning forever — in a pure
 * Wasm loop (Rust) and in JavaScript (componentize-js) — are time-sliced, so healthy requests keep
 * their latency while they spin, and each spinner is stopped at its manifest CPU limit with a 503
 * and a log line naming the component and the CPU it used.
 *
 * A latency bound holds only on a machine the test has to itself: `npm test` runs the files of
 * test/solo one at a time, after the others (on 2 cores, a second test file running beside it puts
 * the OS scheduler's delays, tens of ms, into the numbers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeTestApp } from '../support/app-manifest.ts';
import { startSkiffUp } from '../support/skiff-process.ts';

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
    // Warm both workers' pools and compiled code of both components, so the measurement is of
    // sharing, not of start-up.
    for (let i = 0; i < 40; i++) {
      assert.equal((await get(`${skiff.url}/wasm/ok`)).status, 200);
      assert.equal((await get(`${skiff.url}/js/hello`)).status, 200);
    }
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
