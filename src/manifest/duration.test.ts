import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  const cases: [string, number | undefined][] = [
    ['250ms', 250],
    ['1s', 1000],
    ['2m', 120_000],
    ['0ms', 0], // in range is the caller's business
    ['0s', 0],
    ['007s', 7_000],
    ['90s', 90_000],
    ['1h', undefined], // not a unit: write "60m"
    ['1.5s', undefined], // no fractions
    ['.5s', undefined],
    ['-1s', undefined],
    ['+1s', undefined],
    ['1 s', undefined],
    [' 1s', undefined],
    ['1s ', undefined],
    ['1S', undefined],
    ['1MS', undefined],
    ['1', undefined], // a unit is required
    ['ms', undefined],
    ['', undefined],
    ['1m30s', undefined],
    ['1e3ms', undefined],
    ['99999999999999999999m', undefined], // not a safe integer of milliseconds
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected ?? 'undefined'}`, () =>
      assert.equal(parseDuration(text), expected));
  }
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0ms'],
    [10, '10ms'],
    [1500, '1500ms'],
    [1000, '1s'],
    [90_000, '90s'],
    [120_000, '2m'],
    [3_600_000, '60m'],
  ];
  for (const [ms, expected] of cases) {
    it(`${ms} → ${expected}, which parseDuration reads back`, () => {
      assert.equal(formatDuration(ms), expected);
      assert.equal(parseDuration(expected), ms);
    });
  }
});
