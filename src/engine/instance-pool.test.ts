import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInstancePool, type PooledInstance } from './instance-pool.ts';

class FakeInstance implements PooledInstance {
  static made = 0;
  readonly id = ++FakeInstance.made;
  disposed = false;
  resets = 0;
  resettable = true;
  dispose(): void {
    this.disposed = true;
  }
  reset(): boolean {
    this.resets++;
    return this.resettable;
  }
}

const factory = () => Promise.resolve(new FakeInstance());
const failOnError = (e: unknown) => assert.fail(String(e));
/** Waits (bounded) for background work such as pre-warming; fails if it never happens. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 2000) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('fresh: pre-warms instances off the request path', async () => {
  const pool = createInstancePool(factory, { mode: 'fresh', prewarm: 3 }, failOnError);
  await eventually(() => pool.idle === 3, 'three pre-warmed instances');
  const lease = await pool.acquire();
  assert.equal(pool.idle, 2);
  await eventually(() => pool.idle === 3, 'the pool to refill after a lease');
  lease.release({ reusable: false });
  pool.close();
});

test('fresh: a cleanly released instance is reset and served again; a failed one is disposed', async () => {
  const pool = createInstancePool(factory, { mode: 'fresh', prewarm: 0 }, failOnError);
  const first = await pool.acquire();
  first.release({ reusable: true });
  assert.equal(first.instance.resets, 1);
  const second = await pool.acquire();
  assert.equal(second.instance, first.instance, 'the reset instance comes back');
  second.release({ reusable: false });
  assert.equal(second.instance.disposed, true, 'a trapped instance is never reused');
  const third = await pool.acquire();
  assert.notEqual(third.instance, first.instance);
  third.instance.resettable = false;
  third.release({ reusable: true });
  assert.equal(third.instance.disposed, true, 'an instance that cannot be reset is disposed');
  pool.close();
});

test('reuse: one instance serves requests in turn until maxRequests, then is replaced', async () => {
  const pool = createInstancePool(
    factory,
    { mode: 'reuse', maxRequests: 3, idleTimeoutMs: 1000 },
    failOnError,
  );
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) {
    const lease = await pool.acquire();
    seen.push(lease.instance.id);
    lease.release({ reusable: true });
  }
  assert.equal(seen[0], seen[1]);
  assert.equal(seen[1], seen[2]);
  assert.notEqual(seen[3], seen[0], 'after 3 requests the instance is retired');
  assert.equal(seen.length, 4);
  pool.close();
});

test('reuse: concurrent requests never share an instance', async () => {
  const pool = createInstancePool(
    factory,
    { mode: 'reuse', maxRequests: 100, idleTimeoutMs: 1000 },
    failOnError,
  );
  const a = await pool.acquire();
  const b = await pool.acquire();
  assert.notEqual(a.instance, b.instance);
  a.release({ reusable: true });
  b.release({ reusable: true });
  assert.equal(pool.idle, 2);
  pool.close();
  assert.equal(a.instance.disposed && b.instance.disposed, true, 'close disposes idle instances');
});

test('reuse: a trapped instance is discarded, and idle instances are dropped after the timeout', async () => {
  const pool = createInstancePool(
    factory,
    { mode: 'reuse', maxRequests: 100, idleTimeoutMs: 30 },
    failOnError,
  );
  const trapped = await pool.acquire();
  trapped.release({ reusable: false });
  assert.equal(trapped.instance.disposed, true);
  assert.equal(pool.idle, 0);
  const kept = await pool.acquire();
  kept.release({ reusable: true });
  assert.equal(pool.idle, 1);
  await sleep(80);
  assert.equal(pool.idle, 0, 'the pool shrinks when idle');
  assert.equal(kept.instance.disposed, true);
  pool.close();
});

test('reuse with concurrency (WASI 0.3): an instance takes up to N requests at once, then a new one is made', async () => {
  const reuse = { mode: 'reuse', maxRequests: 100, idleTimeoutMs: 1000 } as const;
  const pool = createInstancePool(factory, reuse, failOnError, 2);
  const [a, b, c] = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
  assert.equal(a.instance, b.instance, 'two requests share one instance');
  assert.notEqual(c.instance, a.instance, 'the third needs another');
  // A failure poisons the shared instance for new requests; it goes once its last request ends.
  a.release({ reusable: false });
  const d = await pool.acquire();
  assert.notEqual(d.instance, a.instance, 'a broken instance takes no new request');
  assert.equal(a.instance.disposed, false, 'while it still serves one');
  b.release({ reusable: true });
  assert.equal(a.instance.disposed, true, 'and is dropped when that one ends');
  for (const lease of [c, d]) lease.release({ reusable: true });
  pool.close();
});

test('reuse with concurrency: maxRequests counts requests in flight too', async () => {
  const pool = createInstancePool(
    factory,
    { mode: 'reuse', maxRequests: 2, idleTimeoutMs: 1000 },
    failOnError,
    8,
  );
  const [a, b, c] = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
  assert.equal(a.instance, b.instance);
  assert.notEqual(c.instance, a.instance, 'an instance never serves more than maxRequests');
  for (const lease of [a, b]) lease.release({ reusable: true });
  assert.equal(a.instance.disposed, true, 'replaced once it served its maxRequests');
  c.release({ reusable: true });
  pool.close();
});
