/**
 * Nothing a request leaves behind accumulates: after rounds of hostile requests (timeouts while
 * running and while waiting, traps, memory bombs, aborted streams, unread bodies), the instances
 * alive on the thread are back to the pre-warmed pool, and the JS heap and external memory after a
 * full GC are back where they were. Runs the HTTP trigger in this process (the embedding API), so
 * it can count exactly instead of reading RSS.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { interruptController } from '../../src/engine/interrupt/controller.ts';
import { DEFAULT_FRESH } from '../../src/manifest/app.ts';
import { appFromComponent } from '../../src/manifest/load.ts';
import type { HostLog } from '../../src/triggers/http/log.ts';
import { type RunningHttpServer, startHttpServer } from '../../src/triggers/http/server.ts';
import { REPO, TEST_CACHE_DIR } from '../support/skiff-process.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const silent: HostLog = { info() {}, warn() {}, error() {}, guest() {}, trap() {} };
let server: RunningHttpServer;

before(async () => {
  const app = await appFromComponent({
    source: join(REPO, 'fixtures/rust/hostile/hostile.wasm'),
    route: undefined,
    environment: {},
    files: [],
    allowedOutboundHosts: [],
  });
  server = await startHttpServer(app, {
    host: '127.0.0.1',
    port: 0,
    log: silent,
    cacheDir: TEST_CACHE_DIR,
    timeoutMs: 300,
    maxMemoryBytes: 32 * 2 ** 20,
  });
});
after(() => server.close());

async function hit(path: string, init?: RequestInit): Promise<number> {
  const response = await fetch(`${server.url}${path}`, init);
  await response.arrayBuffer().catch(() => {});
  return response.status;
}

function abortedStream(): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${server.url}/stream`, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 2 * 2 ** 20) req.destroy();
      });
    });
    req.on('close', resolve);
    req.end();
  });
}

async function settled() {
  // Pools shrink back to their pre-warmed size after a second idle, and abandoned guests unwind:
  // give that up to 10 s (a leak stays put however long one waits).
  const until = performance.now() + 10_000;
  do await new Promise((r) => setTimeout(r, 250));
  while (interruptController().liveInstances > DEFAULT_FRESH.prewarm && performance.now() < until);
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const { heapUsed, external } = process.memoryUsage();
  return {
    live: interruptController().liveInstances,
    heapMiB: heapUsed / 2 ** 20,
    externalMiB: external / 2 ** 20,
  };
}

async function round(): Promise<void> {
  assert.equal(await hit('/loop'), 504);
  assert.equal(await hit('/fib?n=60'), 504);
  assert.equal(await hit('/sleep-then-spin?ms=5000'), 504);
  assert.equal(await hit('/alloc?mb=64'), 507);
  assert.equal(await hit('/recurse'), 500);
  await hit('/trap-after-headers').catch(() => {});
  await abortedStream();
  assert.equal(await hit('/ignore-body', { method: 'POST', body: new Uint8Array(4 * 2 ** 20) }), 200);
  const burst = await Promise.all(Array.from({ length: 50 }, () => hit('/ok')));
  assert.ok(burst.every((status) => status === 200));
}

test('rounds of hostile requests leave no instances, heap or external memory behind', async (t) => {
  await round(); // warm: compiled code, pools and caches reach their working size
  const warm = await settled();
  for (let i = 0; i < 3; i++) await round();
  const afterwards = await settled();
  t.diagnostic(`warm ${JSON.stringify(warm)}; after 3 more rounds ${JSON.stringify(afterwards)}`);
  assert.equal(afterwards.live, DEFAULT_FRESH.prewarm, 'live instances are back to the pre-warmed pool');
  assert.ok(afterwards.heapMiB - warm.heapMiB < 4, 'JS heap');
  assert.ok(afterwards.externalMiB - warm.externalMiB < 4, 'external memory');
});
