/**
 * componentize-js guests use the fetch event, which can answer only once per instance: `jco serve`
 * hangs after the first request. A fresh instance per request must answer every one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSkiffUp } from '../support/skiff-process.ts';

test('50 sequential requests to a componentize-js fetch-event guest all answer 200', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/js/hello/hello.wasm']);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${skiff.url}/n/${i}`, { signal: AbortSignal.timeout(10_000) });
      statuses.push(res.status);
      assert.equal(await res.text(), 'hello from js\n');
    }
    assert.deepEqual(statuses, Array(50).fill(200));
  } finally {
    await skiff.stop();
  }
});
