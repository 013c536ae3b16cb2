import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSize, parseSize } from './size.ts';

describe('parseSize', () => {
  const cases: [string, number | undefined][] = [
    ['1B', 1],
    ['512KiB', 524_288],
    ['64MiB', 67_108_864],
    ['1GiB', 1_073_741_824],
    ['4GiB', 4_294_967_296],
    ['0B', 0], // in range is the caller's business
    ['0064KiB', 65_536],
    ['1536MiB', 1_610_612_736],
    ['64MB', undefined], // decimal units are not sizes: write "64MiB"
    ['64KB', undefined],
    ['1GB', undefined],
    ['64M', undefined],
    ['64mib', undefined], // units are case-sensitive
    ['64MIB', undefined],
    ['64kib', undefined],
    ['1.5GiB', undefined], // no fractions
    ['.5GiB', undefined],
    ['-1MiB', undefined],
    ['+1MiB', undefined],
    ['64 MiB', undefined],
    [' 64MiB', undefined],
    ['64MiB ', undefined],
    ['65536', undefined], // a unit is required
    ['MiB', undefined],
    ['', undefined],
    ['1GiB512MiB', undefined],
    ['1e3B', undefined],
    ['99999999999999999999GiB', undefined], // not a safe integer of bytes
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected ?? 'undefined'}`, () => assert.equal(parseSize(text), expected));
  }
});

describe('formatSize', () => {
  const cases: [number, string][] = [
    [0, '0B'],
    [1, '1B'],
    [1536, '1536B'],
    [1024, '1KiB'],
    [65_536, '64KiB'],
    [1_572_864, '1536KiB'],
    [67_108_864, '64MiB'],
    [1_610_612_736, '1536MiB'],
    [4_294_967_296, '4GiB'],
  ];
  for (const [bytes, expected] of cases) {
    it(`${bytes} → ${expected}, which parseSize reads back`, () => {
      assert.equal(formatSize(bytes), expected);
      assert.equal(parseSize(expected), bytes);
    });
  }
});
