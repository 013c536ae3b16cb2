import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { primitive, type ResourceType, type ValueType } from '../value-types.ts';
import {
  alignment,
  discriminantType,
  elemSize,
  flagsSize,
  InvalidValueTypeError,
  recordLayout,
  variantLayout,
} from './layout.ts';

const p = primitive;
const list = (element: ValueType, length?: number): ValueType =>
  length === undefined ? { kind: 'list', element } : { kind: 'list', element, length };
const record = (...types: ValueType[]): ValueType => ({
  kind: 'record',
  fields: types.map((type, i) => ({ name: `f${i}`, type })),
});
const tuple = (...types: ValueType[]): ValueType => ({ kind: 'tuple', types });
const variant = (...types: Array<ValueType | undefined>): ValueType => ({
  kind: 'variant',
  cases: types.map((type, i) => ({ name: `c${i}`, type })),
});
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i}`);
const flags = (n: number): ValueType => ({ kind: 'flags', names: names(n) });
const enumOf = (n: number): ValueType => ({ kind: 'enum', names: names(n) });
const res: ResourceType = { kind: 'resource', name: 'test:r/r#r', imported: true };

const sizeAlign = (t: ValueType): [number, number] => [elemSize(t), alignment(t)];

describe('layout (CanonicalABI.md § Alignment, § Element Size)', () => {
  test('primitives', () => {
    const expected: Array<[ValueType, number, number]> = [
      [p('bool'), 1, 1],
      [p('u8'), 1, 1],
      [p('s8'), 1, 1],
      [p('u16'), 2, 2],
      [p('s16'), 2, 2],
      [p('u32'), 4, 4],
      [p('s32'), 4, 4],
      [p('u64'), 8, 8],
      [p('s64'), 8, 8],
      [p('f32'), 4, 4],
      [p('f64'), 8, 8],
      [p('char'), 4, 4],
      [p('string'), 8, 4],
      [p('error-context'), 4, 4],
      [{ kind: 'own', resource: res }, 4, 4],
      [{ kind: 'borrow', resource: res }, 4, 4],
      [{ kind: 'future', type: p('u8') }, 4, 4],
      [{ kind: 'stream', type: undefined }, 4, 4],
    ];
    for (const [t, size, align] of expected) assert.deepEqual(sizeAlign(t), [size, align], JSON.stringify(t));
  });

  test('lists: a pointer pair, or for a fixed length the elements in a row', () => {
    assert.deepEqual(sizeAlign(list(p('u64'))), [8, 4]);
    assert.deepEqual(sizeAlign(list(p('u8'), 3)), [3, 1]);
    assert.deepEqual(sizeAlign(list(p('u64'), 2)), [16, 8]);
    assert.deepEqual(sizeAlign(list(p('string'), 2)), [16, 4]);
    assert.deepEqual(sizeAlign(list(record(p('u8'), p('u16')), 3)), [12, 2]);
  });

  test('records and tuples: fields aligned in order, size rounded to the largest alignment', () => {
    assert.deepEqual(recordLayout([p('u8'), p('u32'), p('u8')]), { offsets: [0, 4, 8], size: 12, align: 4 });
    assert.deepEqual(recordLayout([p('u8'), p('u16')]), { offsets: [0, 2], size: 4, align: 2 });
    assert.deepEqual(recordLayout([p('u64'), p('u8')]), { offsets: [0, 8], size: 16, align: 8 });
    assert.deepEqual(recordLayout([p('u8'), p('string'), p('bool')]), {
      offsets: [0, 4, 12],
      size: 16,
      align: 4,
    });
    assert.deepEqual(sizeAlign(tuple(p('u8'), p('u64'))), [16, 8]);
    assert.deepEqual(sizeAlign(record(p('u8'), p('u8'), p('u8'))), [3, 1]);
  });

  test('discriminants: the smallest of u8/u16/u32 that numbers the cases', () => {
    assert.equal(discriminantType(1), 'u8');
    assert.equal(discriminantType(256), 'u8');
    assert.equal(discriminantType(257), 'u16');
    assert.equal(discriminantType(65536), 'u16');
    assert.equal(discriminantType(65537), 'u32');
    assert.deepEqual(sizeAlign(enumOf(3)), [1, 1]);
    assert.deepEqual(sizeAlign(enumOf(256)), [1, 1]);
    assert.deepEqual(sizeAlign(enumOf(257)), [2, 2]);
    assert.deepEqual(sizeAlign(enumOf(65537)), [4, 4]);
  });

  test('variants: payload after the discriminant, at the largest case alignment', () => {
    assert.deepEqual(variantLayout([p('u8'), p('u64')]), {
      discriminant: 'u8',
      payloadOffset: 8,
      size: 16,
      align: 8,
    });
    assert.deepEqual(variantLayout([undefined, p('u8')]), {
      discriminant: 'u8',
      payloadOffset: 1,
      size: 2,
      align: 1,
    });
    assert.deepEqual(variantLayout([undefined, undefined]), {
      discriminant: 'u8',
      payloadOffset: 1,
      size: 1,
      align: 1,
    });
    assert.deepEqual(sizeAlign({ kind: 'option', type: p('u32') }), [8, 4]);
    assert.deepEqual(sizeAlign({ kind: 'option', type: p('string') }), [12, 4]);
    assert.deepEqual(sizeAlign({ kind: 'result', ok: undefined, err: undefined }), [1, 1]);
    assert.deepEqual(sizeAlign({ kind: 'result', ok: p('u8'), err: p('u16') }), [4, 2]);
    // 257 cases: a u16 discriminant; the u8 payload starts right after it.
    const wide = variant(p('u8'), ...Array.from({ length: 256 }, () => undefined));
    assert.deepEqual(
      variantLayout((wide as { cases: Array<{ type: ValueType | undefined }> }).cases.map((c) => c.type)),
      {
        discriminant: 'u16',
        payloadOffset: 2,
        size: 4,
        align: 2,
      },
    );
    // Nested: option<variant<u8, f64>> = 1 + pad to 8 + 16.
    assert.deepEqual(sizeAlign({ kind: 'option', type: variant(p('u8'), p('f64')) }), [24, 8]);
  });

  test('flags: a 1, 2 or 4 byte bit-vector', () => {
    assert.equal(flagsSize(1), 1);
    assert.equal(flagsSize(8), 1);
    assert.equal(flagsSize(9), 2);
    assert.equal(flagsSize(16), 2);
    assert.equal(flagsSize(17), 4);
    assert.equal(flagsSize(32), 4);
    assert.deepEqual(sizeAlign(flags(17)), [4, 4]);
  });

  test('types the spec forbids are refused: no empty types, at most 32 flags', () => {
    // Flags over 32 names were split into several i32s until the spec limited flags to 32
    // (component-model commit 649f7fd, Binary.md: `0 < |l*| <= 32`).
    for (const bad of [
      flags(0),
      flags(33),
      flags(64),
      record(),
      tuple(),
      variant(),
      enumOf(0),
      list(p('u8'), 0),
    ])
      assert.throws(() => elemSize(bad), InvalidValueTypeError, JSON.stringify(bad));
  });
});
