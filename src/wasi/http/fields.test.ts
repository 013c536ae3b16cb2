import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResultError } from '../result-error.ts';
import { declaredLength, Fields, fieldsFromNode, fieldsToNode } from './fields.ts';

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

test('incoming headers drop what a guest may not set (hop-by-hop, Host, proxy credentials); repeated names stay', () => {
  const f = fieldsFromNode(
    ['Host', 'a', 'Connection', 'keep-alive', 'X-A', '1', 'Proxy-Authorization', 'x', 'x-a', '2'],
    [['skiff-path-info', '/p']],
  );
  // A guest that forwards the headers it received can append every one of them.
  assert.deepEqual(fieldsToNode(f), ['x-a', '1', 'x-a', '2', 'skiff-path-info', '/p']);
  const forwarded = new Fields();
  for (const [name, value] of f.entries()) forwarded.append(name, value);
  assert.equal(
    errorTag(() => f.append('x-b', bytes('1'))),
    'immutable',
  );
});

test("values follow exactly the rules of Node's writer: HTAB, visible ASCII and 0x80-0xFF only", () => {
  const f = new Fields();
  for (const bad of [0x00, 0x01, 0x08, 0x0a, 0x0d, 0x1f, 0x7f]) {
    assert.equal(
      errorTag(() => f.append('x-v', Uint8Array.of(0x61, bad, 0x62))),
      'invalid-syntax',
      `byte 0x${bad.toString(16)}`,
    );
  }
  f.append('x-v', Uint8Array.of(0x61, 0x09, 0x20, 0x7e, 0x80, 0xff));
  assert.equal(f.get('x-v').length, 1);
  assert.equal(
    errorTag(() => f.append('', bytes('x'))),
    'invalid-syntax',
  );
});

test('Host, proxy credentials and every hop-by-hop header are forbidden to guests, as in wasmtime', () => {
  for (const name of [
    'Host',
    'connection',
    'Keep-Alive',
    'proxy-connection',
    'transfer-encoding',
    'upgrade',
    'te',
    'http2-settings',
    'proxy-authorization',
    'proxy-authenticate',
  ]) {
    assert.equal(
      errorTag(() => new Fields().append(name, bytes('x'))),
      'forbidden',
      name,
    );
    assert.equal(
      errorTag(() => Fields.fromList([[name, bytes('x')]])),
      'forbidden',
      name,
    );
  }
});

test('content-length must be one decimal length: malformed or conflicting values are invalid-syntax', () => {
  for (const bad of ['abc', '-1', '', ' 5', '5 ', '1,1', '0x10', '1e3', '1234567890123456']) {
    assert.equal(
      errorTag(() => new Fields().append('content-length', bytes(bad))),
      'invalid-syntax',
      JSON.stringify(bad),
    );
  }
  const f = new Fields();
  f.append('content-length', bytes('5'));
  assert.equal(
    errorTag(() => f.append('Content-Length', bytes('6'))),
    'invalid-syntax',
  );
  assert.equal(
    errorTag(() => f.set('content-length', [bytes('5'), bytes('6')])),
    'invalid-syntax',
  );
  f.append('content-length', bytes('5'));
  assert.deepEqual(fieldsToNode(f), ['content-length', '5'], 'a repeated equal length goes out once');
  assert.equal(declaredLength(f), 5);
  f.set('content-length', [bytes('7')]);
  assert.equal(declaredLength(f), 7, 'set replaces the earlier values');
  assert.equal(declaredLength(new Fields()), undefined);
});
