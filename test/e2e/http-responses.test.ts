/**
 * The host owns the framing of every response (issue #8): whatever status, headers and body bytes a
 * guest chooses, what goes on the wire is one well-formed HTTP/1.1 message. Each case sends a
 * request to the responder guest (which answers with exactly what the query tells it) and a
 * pipelined second request on the same connection, then asserts the exact bytes that came back —
 * so a forged or mis-framed first response would show up as a wrong second one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rawExchange, responseHeads, withoutDate } from '../support/raw-http.ts';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const RESPONDER = 'fixtures/rust/responder/responder.wasm';
/** The pipelined second request, and what it must get when the first left the connection intact. */
const NEXT = 'GET /respond?body=next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n';
const NEXT_ANSWER =
  'HTTP/1.1 200 OK\r\ndate: -\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnext\r\n0\r\n\r\n';
const KEEP = 'date: -\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n';

let skiff: SkiffProcess;
before(async () => {
  skiff = await startSkiffUp(['--component', RESPONDER]);
});
after(() => skiff.stop());

/** `METHOD target` then NEXT on one connection; the answer with dates blanked. */
async function pipelined(requestLine: string) {
  const answer = await rawExchange(skiff.url, `${requestLine} HTTP/1.1\r\nHost: t\r\n\r\n${NEXT}`);
  return { ...answer, text: withoutDate(answer.text) };
}

const FORGED = 'HTTP/1.1%20200%20OK%0D%0AContent-Length:%206%0D%0A%0D%0APWNED!';

test('response splitting: a body past `content-length: 0` never reaches the wire; the guest gets HTTP-response-body-size', async () => {
  const { text, ended } = await pipelined(`GET /respond?h=content-length:0&body=${FORGED}`);
  assert.doesNotMatch(text, /PWNED/);
  assert.equal(
    text,
    `HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n${KEEP}Transfer-Encoding: chunked\r\n\r\n` +
      `41\r\nInternal Server Error: the component did not finish its response\n\r\n0\r\n\r\n${NEXT_ANSWER}`,
  );
  assert.equal(ended, 'closed');
  await skiff.waitForOutput(
    /write failed after 0 bytes: last-operation-failed: ErrorCode::HttpResponseBodySize/,
  );
  await skiff.waitForOutput(
    /\[responder\] request \d+ \(GET \/respond\?h=content-length:0&[^)]*\): a write of 44 bytes after 0 would pass the declared content-length of 0; then the guest dropped the body/,
  );
});

test('a declared length the guest keeps is sent as is, once even when the guest appended it twice', async () => {
  for (const query of ['h=content-length:5&body=hello', 'h=content-length:5&h=content-length:5&body=hello']) {
    const { text } = await pipelined(`GET /respond?${query}`);
    assert.equal(text, `HTTP/1.1 200 OK\r\ncontent-length: 5\r\n${KEEP}\r\nhello${NEXT_ANSWER}`);
  }
});

test('malformed or conflicting content-length values are refused to the guest (header-error), never sent', async () => {
  for (const value of ['abc', '-1', '%201', '1,2', '99999999999999999']) {
    const { text } = await pipelined(`GET /respond?h=content-length:${value}&body=x`);
    assert.match(text, /^HTTP\/1\.1 422 Unprocessable Entity\r\n/, value);
    assert.match(text, /header-error invalid-syntax content-length\n/, value);
    assert.ok(text.endsWith(NEXT_ANSWER), value);
  }
  const two = await pipelined('GET /respond?h=content-length:1&h=content-length:2&body=x');
  assert.match(two.text, /header-error invalid-syntax content-length\n/);
});

test('a body shorter than its declared length ends the response cleanly: the connection closes, no client waits', async () => {
  const { text, ended } = await pipelined('GET /respond?h=content-length:100&body=short');
  assert.equal(text, `HTTP/1.1 200 OK\r\ncontent-length: 100\r\n${KEEP}\r\nshort`);
  assert.equal(ended, 'closed', 'closed at once, not left open for bytes that will never come');
  await skiff.waitForOutput(/the body ended after 5 bytes, but its content-length declares 100/);
  await skiff.waitForOutput(/finish failed: ErrorCode::HttpResponseBodySize\(Some\(5\)\)/);
});

test('a write that would pass the declared length fails whole: no extra byte, and a clean 500 when nothing was sent yet', async () => {
  const { text } = await pipelined('GET /respond?h=content-length:4&body=toolong');
  assert.match(text, /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  assert.doesNotMatch(text, /tool/);
  assert.ok(text.endsWith(NEXT_ANSWER));
});

test('1xx and statuses past 599 are a 500 with a log line; the connection stays usable', async () => {
  for (const status of [100, 101, 103, 199, 600, 999]) {
    const { text } = await pipelined(`GET /respond?status=${status}&body=x`);
    assert.equal(
      text,
      `HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n${KEEP}Transfer-Encoding: chunked\r\n\r\n` +
        `3c\r\nInternal Server Error: the component sent an invalid status\n\r\n0\r\n\r\n${NEXT_ANSWER}`,
      String(status),
    );
    await skiff.waitForOutput(
      new RegExp(`answered with status ${status}; only final statuses \\(200–599\\)`),
    );
  }
});

test("header values follow Node's writer: control bytes and DEL are a header-error for the guest; HTAB and 0x80-0xFF pass", async () => {
  for (const bad of ['%01', '%7F', '%00', '%0D%0Ax:%20y', '%1F']) {
    const { text } = await pipelined(`GET /respond?h=x:a${bad}b`);
    assert.match(text, /^HTTP\/1\.1 422 [^\r]*\r\n[\s\S]*header-error invalid-syntax x\n/, bad);
    assert.ok(text.endsWith(NEXT_ANSWER), bad);
  }
  const { text } = await pipelined('GET /respond?h=x:a%FFb%09c');
  assert.equal(
    text,
    `HTTP/1.1 200 OK\r\nx: a\xffb\tc\r\n${KEEP}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${NEXT_ANSWER}`,
  );
});

test('framing and hop-by-hop headers, Host and proxy credentials are forbidden to the guest', async () => {
  for (const name of [
    'transfer-encoding',
    'connection',
    'keep-alive',
    'upgrade',
    'te',
    'host',
    'proxy-authorization',
  ]) {
    const { text } = await pipelined(`GET /respond?h=${name}:x`);
    assert.match(text, new RegExp(`header-error forbidden ${name}\\n`), name);
    assert.ok(text.endsWith(NEXT_ANSWER), name);
  }
});

test('no body: `content-length: 0` when the guest took none; HEAD keeps its declared length without a body; 204 drops it', async () => {
  assert.equal(
    (await pipelined('GET /respond?nobody=1')).text,
    `HTTP/1.1 200 OK\r\ncontent-length: 0\r\n${KEEP}\r\n${NEXT_ANSWER}`,
  );
  assert.equal(
    (await pipelined('HEAD /respond?h=content-length:1234&rep=0')).text,
    `HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n${KEEP}\r\n${NEXT_ANSWER}`,
  );
  // A length declared for a body the guest never took would make the client read the next
  // response as this one's body.
  const declaredNoBody = await pipelined('GET /respond?nobody=1&h=content-length:5');
  assert.match(
    declaredNoBody.text,
    /^HTTP\/1\.1 500 Internal Server Error\r\n[\s\S]*the component declared a body it did not send\n/,
  );
  assert.ok(declaredNoBody.text.endsWith(NEXT_ANSWER));
  await skiff.waitForOutput(/declared content-length: 5 but never took the response body/);
  assert.equal(
    (await pipelined('GET /respond?status=204&h=content-length:5')).text,
    `HTTP/1.1 204 No Content\r\n${KEEP}\r\n${NEXT_ANSWER}`,
  );
  assert.equal(
    (await pipelined('GET /respond?status=304&h=content-length:5')).text,
    `HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n${KEEP}\r\n${NEXT_ANSWER}`,
  );
});

test('the head goes out as soon as the guest has set the response, not with the first body byte', async () => {
  const answer = await rawExchange(
    skiff.url,
    'GET /respond?wait_ms=1500&body=late HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
    {
      quietMs: 3000,
    },
  );
  assert.equal(
    withoutDate(answer.text),
    'HTTP/1.1 200 OK\r\ndate: -\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nlate\r\n0\r\n\r\n',
  );
  assert.ok(
    (answer.firstByteMs ?? Infinity) < 750,
    `head after ${answer.firstByteMs} ms, body after 1500 ms`,
  );
});

test('a body that fails after its head: the head and the bytes so far, then a cut connection (no closing chunk)', async () => {
  for (const end of ['drop', 'trap']) {
    const { text, ended } = await pipelined(`GET /respond?body=part&end=${end}`);
    assert.equal(text, `HTTP/1.1 200 OK\r\n${KEEP}Transfer-Encoding: chunked\r\n\r\n4\r\npart\r\n`, end);
    assert.equal(ended, 'closed', end);
  }
  // Failing before any byte was committed still leaves room for a clean 500.
  const early = await pipelined('GET /respond?rep=0&end=trap');
  assert.match(early.text, /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  assert.ok(early.text.endsWith(NEXT_ANSWER));
});

test('pipelined requests each get exactly one answer, in order', async () => {
  const answer = await rawExchange(
    skiff.url,
    'GET /respond?body=a HTTP/1.1\r\nHost: t\r\n\r\nGET /respond?status=103 HTTP/1.1\r\nHost: t\r\n\r\n' +
      `GET /respond?h=content-length:0&body=${FORGED} HTTP/1.1\r\nHost: t\r\n\r\n${NEXT}`,
  );
  assert.deepEqual(
    responseHeads(answer.text).map((h) => h.status),
    [200, 500, 500, 200],
  );
});
