/** wasi:random hands out fresh bytes, and refuses (traps on) a request too large to make without stalling the thread. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insecureRandomImports, MAX_RANDOM_BYTES, randomImports } from './random.ts';

test('get-random-bytes returns len fresh bytes, up to the limit', () => {
  const a = randomImports.getRandomBytes(32n);
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, randomImports.getRandomBytes(32n));
  assert.equal(randomImports.getRandomBytes(0n).length, 0);
  assert.equal(
    insecureRandomImports.getInsecureRandomBytes(BigInt(MAX_RANDOM_BYTES)).length,
    MAX_RANDOM_BYTES,
  );
});

test('a len past the limit traps at once instead of making gigabytes on the event loop', () => {
  for (const get of [randomImports.getRandomBytes, insecureRandomImports.getInsecureRandomBytes]) {
    const started = performance.now();
    assert.throws(() => get(BigInt(MAX_RANDOM_BYTES) + 1n), RangeError);
    assert.throws(() => get(2n ** 31n - 1n), RangeError);
    assert.throws(() => get(2n ** 64n - 1n), RangeError);
    assert.ok(performance.now() - started < 50);
  }
});
