import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FunctionType, primitive, type ValueType } from '../value-types.ts';
import { flattenFunction, flattenTaskReturn, flattenType, join, MAX_FLAT_PARAMS } from './flatten.ts';

const p = primitive;
const variant = (...types: Array<ValueType | undefined>): ValueType => ({
  kind: 'variant',
  cases: types.map((type, i) => ({ name: `c${i}`, type })),
});
const tuple = (...types: ValueType[]): ValueType => ({ kind: 'tuple', types });
const fn = (params: ValueType[], result?: ValueType): FunctionType => ({
  params: params.map((type, i) => ({ name: `p${i}`, type })),
  result,
  async: false,
});
const repeat = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

describe('flattening (CanonicalABI.md § Flattening)', () => {
  test('scalars, strings and lists', () => {
    assert.deepEqual(flattenType(p('bool')), ['i32']);
    assert.deepEqual(flattenType(p('u64')), ['i64']);
    assert.deepEqual(flattenType(p('s64')), ['i64']);
    assert.deepEqual(flattenType(p('f32')), ['f32']);
    assert.deepEqual(flattenType(p('f64')), ['f64']);
    assert.deepEqual(flattenType(p('char')), ['i32']);
    assert.deepEqual(flattenType(p('string')), ['i32', 'i32']);
    assert.deepEqual(flattenType({ kind: 'list', element: p('f64') }), ['i32', 'i32']);
    assert.deepEqual(flattenType({ kind: 'list', element: p('f32'), length: 3 }), ['f32', 'f32', 'f32']);
    assert.deepEqual(flattenType({ kind: 'flags', names: repeat(32, 'x').map((x, i) => x + i) }), ['i32']);
    assert.deepEqual(flattenType({ kind: 'enum', names: ['a', 'b'] }), ['i32']);
  });

  test('records flatten field by field', () => {
    assert.deepEqual(
      flattenType({
        kind: 'record',
        fields: [
          { name: 'a', type: p('u8') },
          { name: 'b', type: p('f64') },
          { name: 'c', type: p('string') },
        ],
      }),
      ['i32', 'f64', 'i32', 'i32'],
    );
  });

  test('join: i32 and f32 share an i32, anything else widens to i64', () => {
    assert.equal(join('i32', 'f32'), 'i32');
    assert.equal(join('f32', 'i32'), 'i32');
    assert.equal(join('f32', 'f32'), 'f32');
    assert.equal(join('i32', 'i64'), 'i64');
    assert.equal(join('f32', 'f64'), 'i64');
    assert.equal(join('i32', 'f64'), 'i64');
    assert.equal(join('f64', 'f64'), 'f64');
  });

  test('variants: discriminant, then payload positions joined over the cases', () => {
    assert.deepEqual(flattenType(variant(p('u32'), p('f32'))), ['i32', 'i32']);
    assert.deepEqual(flattenType(variant(p('f32'), p('f32'))), ['i32', 'f32']);
    assert.deepEqual(flattenType(variant(p('u32'), p('u64'))), ['i32', 'i64']);
    assert.deepEqual(flattenType(variant(p('f32'), p('f64'))), ['i32', 'i64']);
    assert.deepEqual(flattenType(variant(undefined, undefined)), ['i32']);
    assert.deepEqual(flattenType({ kind: 'option', type: p('f64') }), ['i32', 'f64']);
    assert.deepEqual(flattenType({ kind: 'result', ok: p('u64'), err: p('f32') }), ['i32', 'i64']);
    // Mixed tuples: position 0 joins f32, u64, i32 → i64; position 1 joins u32, f32 → i32.
    assert.deepEqual(
      flattenType(variant(tuple(p('f32'), p('u32')), tuple(p('u64'), p('f32')), p('string'))),
      ['i32', 'i64', 'i32'],
    );
    // Nested: the inner variant's own flattening is joined into the outer's positions.
    assert.deepEqual(flattenType({ kind: 'option', type: variant(p('f32'), p('u8')) }), [
      'i32',
      'i32',
      'i32',
    ]);
    assert.deepEqual(flattenType(variant(variant(p('f64')), p('f32'))), ['i32', 'i32', 'f64']);
  });

  test('16 flat parameters pass directly, 17 go through memory as one pointer', () => {
    const sixteen = flattenFunction(fn(repeat(16, p('u32'))), 'lower');
    assert.equal(MAX_FLAT_PARAMS, 16);
    assert.deepEqual(sixteen.params, repeat(16, 'i32'));
    assert.equal(sixteen.paramsInMemory, false);
    const seventeen = flattenFunction(fn(repeat(17, p('u32'))), 'lift');
    assert.deepEqual(seventeen.params, ['i32']);
    assert.equal(seventeen.paramsInMemory, true);
    // Counted in flat values, not parameters: 14 u32 and a string are 16; 15 and a string are 17.
    assert.equal(flattenFunction(fn([...repeat(14, p('u32')), p('string')]), 'lift').paramsInMemory, false);
    assert.equal(flattenFunction(fn([...repeat(15, p('u32')), p('string')]), 'lift').paramsInMemory, true);
  });

  test('more than one flat result goes through memory: a return pointer for imports, a returned pointer for exports', () => {
    const one = flattenFunction(fn([p('u32')], p('u64')), 'lower');
    assert.deepEqual([one.params, one.results, one.resultInMemory], [['i32'], ['i64'], false]);
    const lowered = flattenFunction(fn([p('u32')], p('string')), 'lower');
    assert.deepEqual([lowered.params, lowered.results, lowered.resultInMemory], [['i32', 'i32'], [], true]);
    const lifted = flattenFunction(fn([p('u32')], p('string')), 'lift');
    assert.deepEqual([lifted.params, lifted.results, lifted.resultInMemory], [['i32'], ['i32'], true]);
    const none = flattenFunction(fn([]), 'lift');
    assert.deepEqual([none.params, none.results], [[], []]);
    // Both at once: 17 params and a spilled result = params pointer + return pointer.
    const both = flattenFunction(fn(repeat(17, p('u8')), p('string')), 'lower');
    assert.deepEqual(both.params, ['i32', 'i32']);
  });

  test('async limits: 4 flat parameters for lowered imports, results always through memory', () => {
    const asyncFn = (params: ValueType[], result?: ValueType): FunctionType => ({
      ...fn(params, result),
      async: true,
    });
    const four = flattenFunction(asyncFn(repeat(4, p('u32')), p('u32')), 'lower', { async: true });
    assert.deepEqual([four.params, four.results], [[...repeat(4, 'i32'), 'i32'], ['i32']]);
    const five = flattenFunction(asyncFn(repeat(5, p('u32'))), 'lower', { async: true });
    assert.deepEqual([five.params, five.results], [['i32'], ['i32']]);
    const liftCallback = flattenFunction(asyncFn(repeat(16, p('u32')), p('string')), 'lift', {
      async: true,
      callback: true,
    });
    assert.deepEqual([liftCallback.params.length, liftCallback.results], [16, ['i32']]);
    const liftStackful = flattenFunction(asyncFn(repeat(17, p('u32')), p('u32')), 'lift', { async: true });
    assert.deepEqual([liftStackful.params, liftStackful.results], [['i32'], []]);
    // task.return takes the result as parameters: up to 16 flat values, else a pointer.
    assert.deepEqual(flattenTaskReturn(p('string')).params, ['i32', 'i32']);
    assert.deepEqual(flattenTaskReturn(tuple(...repeat(17, p('u8')))).params, ['i32']);
    assert.deepEqual(flattenTaskReturn(undefined).params, []);
  });
});
