import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needsEntryCheck } from './call-graph.ts';

const noOpaque = (n: number) => new Array<boolean>(n).fill(false);

test('functions off every cycle of direct calls need no entry check', () => {
  // 0 -> 1 -> 2, 0 -> 2: a DAG
  assert.deepEqual(needsEntryCheck([[1, 2], [2], []], noOpaque(3)), [false, false, false]);
});

test('a function calling itself needs one', () => {
  assert.deepEqual(needsEntryCheck([[0], []], noOpaque(2)), [true, false]);
});

test('every function of a cycle needs one; those leading into it do not', () => {
  // 0 -> 1 -> 2 -> 3 -> 1, and 3 -> 4
  assert.deepEqual(needsEntryCheck([[1], [2], [3], [1, 4], []], noOpaque(5)), [
    false,
    true,
    true,
    true,
    false,
  ]);
});

test('a call that may lead anywhere (indirect, or to an import) needs one', () => {
  assert.deepEqual(needsEntryCheck([[1], []], [false, true]), [false, true]);
});

test('a chain of 200,000 direct calls does not exhaust the stack', () => {
  const count = 200_000;
  const callees = Array.from({ length: count }, (_, f) => (f + 1 < count ? [f + 1] : [0]));
  const needed = needsEntryCheck(callees, noOpaque(count));
  assert.ok(needed.every(Boolean), 'one big cycle: all of them');
});
