/**
 * Requests a server must accept or refuse as RFC 9112 says, over a raw socket against the real CLI
 * serving the Rust echo guest (which reports the method, path and headers it was given).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rawExchange, responseHeads } from '../support/raw-http.ts';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

let skiff: SkiffProcess;
before(async () => {
  skiff = await startSkiffUp(['--component', 'fixtures/rust/echo/echo.wasm']);
});
after(() => skiff.stop());

const header = (text: string, name: string) => new RegExp(`\\r\\n${name}: ([^\\r\\n]*)`, 'i').exec(text)?.[1];

test("an absolute-form target is served (RFC 9112 §3.2.2): the guest sees origin form, and the target's authority as Host", async () => {
  const { text } = await rawExchange(
    skiff.url,
    'GET http://api.example:8080/abs/path?q=1 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n',
  );
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(header(text, 'x-echo-path'), '/abs/path?q=1');
  assert.equal(
    header(text, 'x-echo-header-host'),
    undefined,
    'Host is not a header a guest sees (as in wasmtime)',
  );
  assert.equal(header(text, 'x-echo-header-skiff-full-url'), 'http://api.example:8080/abs/path?q=1');
});

test('more than one Host, or an invalid one, gets 400 and a closed connection; the guest is not called', async () => {
  for (const hosts of [
    'Host: a.example\r\nHost: b.example\r\n',
    'Host: a.example\r\nhost: a.example\r\n',
    'Host: a b\r\n',
  ]) {
    const { text, ended } = await rawExchange(
      skiff.url,
      `GET /x HTTP/1.1\r\n${hosts}\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n`,
    );
    const heads = responseHeads(text);
    assert.equal(heads.length, 1, `one answer, the pipelined request is not read: ${JSON.stringify(text)}`);
    assert.equal(heads[0]?.status, 400);
    assert.ok(heads[0]?.headers.includes('connection: close'));
    assert.doesNotMatch(text, /x-echo-path/);
    assert.equal(ended, 'closed');
  }
});

test('HTTP/1.1 without Host gets 400; HTTP/1.0 without Host is served', async () => {
  const missing = await rawExchange(skiff.url, 'GET /x HTTP/1.1\r\n\r\n');
  assert.match(missing.text, /^HTTP\/1\.1 400 /);
  const old = await rawExchange(skiff.url, 'GET /x HTTP/1.0\r\n\r\n');
  assert.match(old.text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(header(old.text, 'x-echo-path'), '/x');
});

test('registered extension methods reach the guest as method "other"; unregistered ones get 400 from Node\'s parser', async () => {
  for (const method of ['PROPFIND', 'QUERY', 'PURGE', 'MKCOL']) {
    const { text } = await rawExchange(
      skiff.url,
      `${method} /m HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    );
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/, method);
    assert.equal(header(text, 'x-echo-method'), method);
  }
  // llhttp knows a fixed list of methods and has no lenient mode for others (docs/SECURITY.md).
  const { text } = await rawExchange(skiff.url, 'FOO /m HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
});

test('a target that is neither a path nor an absolute http URL gets 400 saying so', async () => {
  const { text } = await rawExchange(skiff.url, 'GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(text, /the request target ftp:\/\/a\/b is not an http or https URL/);
});
