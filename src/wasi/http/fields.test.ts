import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResultError } from '../result-error.ts';
import { Fields, fieldsFromNode, fieldsToNode } from './fields.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const errorTag = (fn: () => void): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof ResultError ? (e.payload as { tag: string }).tag : 'not-a-result-error';
  }
  return undefined;
};

test('names are case-insensitive and repeated values are kept in order', () => {
  const f = Fields.fromList([
    ['Set-Cookie', bytes('a=1')],
    ['set-cookie', bytes('b=2')],
  ]);
  assert.deepEqual(
    f.get('SET-COOKIE').map((v) => new TextDecoder().decode(v)),
    ['a=1', 'b=2'],
  );
  assert.equal(f.has('set-cookie'), true);
  f.delete('Set-Cookie');
  assert.equal(f.has('set-cookie'), false);
});

test('invalid names and values, hop-by-hop headers and frozen fields are refused with the WIT error', () => {
  const f = new Fields();
  assert.equal(
    errorTag(() => f.append('bad name', bytes('x'))),
    'invalid-syntax',
  );
  assert.equal(
    errorTag(() => f.append('x-ok', bytes('line\r\nbreak'))),
    'invalid-syntax',
  );
  assert.equal(
    errorTag(() => f.append('Transfer-Encoding', bytes('chunked'))),
    'forbidden',
  );
  f.append('x-ok', bytes('1'));
  f.freeze();
  assert.equal(
    errorTag(() => f.set('x-ok', [bytes('2')])),
    'immutable',
  );
});

test('incoming headers drop hop-by-hop entries; outgoing keep repeated names', () => {
  const f = fieldsFromNode(
    ['Host', 'a', 'Connection', 'keep-alive', 'X-A', '1', 'x-a', '2'],
    [['skiff-path-info', '/p']],
  );
  assert.deepEqual(fieldsToNode(f), ['host', 'a', 'x-a', '1', 'x-a', '2', 'skiff-path-info', '/p']);
  assert.equal(
    errorTag(() => f.append('x-b', bytes('1'))),
    'immutable',
  );
});
