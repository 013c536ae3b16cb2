/**
 * A guest blocked on I/O (here a clock pollable) is suspended with JSPI, not the thread: many such
 * requests wait at once on one worker. Serialised, 200 one-second sleeps would take 200 s; the
 * bound below only checks that they overlap (the speed itself is measured in `npm run bench`).
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { startSkiffUp } from '../support/skiff-process.ts';

test('200 guests sleeping 1 s each on one worker all finish together, not one after another', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/sleep/sleep.wasm']);
  const agent = new Agent({ maxSockets: 1000 });
  try {
    const url = new URL(skiff.url);
    const sleepOnce = () =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: '/?ms=1000', agent }, (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
        });
        req.on('error', reject);
        req.end();
      });
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 200 }, sleepOnce));
    const seconds = (performance.now() - started) / 1000;
    assert.deepEqual(new Set(answers), new Set(['200 slept 1000ms']));
    assert.ok(seconds >= 1, 'each request really slept');
    assert.ok(seconds < 10, `200 concurrent 1 s sleeps took ${seconds.toFixed(1)} s`);
  } finally {
    agent.destroy();
    await skiff.stop();
  }
});
