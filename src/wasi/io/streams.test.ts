/** Output streams never allocate on a guest's word more than the interface lets it write. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuestContractError } from '../result-error.ts';
import { discardSink } from './node-streams.ts';
import { OutputStream } from './streams.ts';

test('write-zeroes past check-write and blocking-write-zeroes-and-flush past 4096 bytes trap before allocating', async () => {
  const out = new OutputStream(discardSink());
  const allowed = out.checkWrite();
  out.writeZeroes(allowed);
  // 2^40 bytes: allocating them first would throw a RangeError or take the host's memory.
  assert.throws(() => out.writeZeroes(2n ** 40n), GuestContractError);
  assert.throws(() => out.writeZeroes(allowed + 1n), /past what check-write allowed/);
  await out.blockingWriteZeroesAndFlush(4096n);
  await assert.rejects(out.blockingWriteZeroesAndFlush(4097n), /at most 4096 are allowed/);
  await assert.rejects(out.blockingWriteZeroesAndFlush(2n ** 40n), GuestContractError);
});
