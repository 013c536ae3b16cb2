/**
 * Outbound requests through the host objects, over real loopback sockets: the three request-options
 * timeouts and their error codes, a bad authority or path as `HTTP-request-URI-invalid` (0.2 and
 * 0.3), trailers both ways, and connections reused within and across instances of a grant set.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { FutureReader, HostFuture } from '../../engine/binding/canonical-abi/streams.ts';
import type { IoError } from '../io/error.ts';
import { httpClientP3 } from '../p3/http-client.ts';
import { Request, RequestOptions as RequestOptionsP3 } from '../p3/http-types.ts';
import { ResultError } from '../result-error.ts';
import { IncomingBody, OutgoingBody } from './bodies.ts';
import { Fields } from './fields.ts';
import { type ErrorCode, type IncomingResponse, OutgoingRequest, RequestOptions } from './messages.ts';
import { OutboundPolicy } from './outbound-policy.ts';
import { outgoingHandlerImports } from './outgoing-handler.ts';

const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close();
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The outgoing handler of one instance whose component may reach `authority` over http. */
function handlerFor(authority: string, policy = OutboundPolicy.fromPatterns([`http://${authority}`])) {
  const stopped = new AbortController();
  cleanups.push(() => stopped.abort());
  return outgoingHandlerImports(policy, () => {}, stopped.signal);
}

function get(authority: string, path = '/', headers = new Fields()): OutgoingRequest {
  const request = new OutgoingRequest(headers);
  request.setScheme({ tag: 'HTTP' });
  request.setAuthority(authority);
  request.setPathWithQuery(path);
  return request;
}

const ms = (n: number) => BigInt(n) * 1_000_000n;

function timeouts(t: { connect?: number; firstByte?: number; betweenBytes?: number }): RequestOptions {
  const options = new RequestOptions();
  if (t.connect !== undefined) options.setConnectTimeout(ms(t.connect));
  if (t.firstByte !== undefined) options.setFirstByteTimeout(ms(t.firstByte));
  if (t.betweenBytes !== undefined) options.setBetweenBytesTimeout(ms(t.betweenBytes));
  return options;
}

/** The response, or the error code the future settled with. */
async function send(
  handler: ReturnType<typeof handlerFor>,
  request: OutgoingRequest,
  options?: RequestOptions,
): Promise<{ tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode }> {
  const future = handler.handle(request, options) as ReturnType<typeof handler.handle> & {
    settled(): Promise<{ tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode }>;
  };
  return future.settled();
}

async function ok(
  pending: Promise<{ tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode }>,
): Promise<IncomingResponse> {
  const outcome = await pending;
  assert.equal(outcome.tag, 'ok', JSON.stringify(outcome.val));
  return outcome.val as IncomingResponse;
}

/** Reads a body stream to its end: the text, and the error code it failed with, if it did. */
async function readBody(
  body: IncomingBody,
  onChunk: (text: string) => void = () => {},
): Promise<{ text: string; failed?: ErrorCode | undefined }> {
  const stream = body.stream();
  let text = '';
  try {
    for (;;) {
      const chunk = Buffer.from(await stream.blockingRead(65536n)).toString();
      text += chunk;
      if (chunk) onChunk(chunk);
    }
  } catch (e) {
    const error = (e as ResultError<{ tag: string; val?: IoError }>).payload;
    if (error?.tag === 'closed') return { text };
    assert.equal(error?.tag, 'last-operation-failed', String(e));
    return { text, failed: error.val?.codes.http };
  } finally {
    stream[Symbol.dispose]();
  }
}

function assertAbout(elapsed: number, expected: number) {
  assert.ok(
    elapsed >= expected - 20 && elapsed < expected + 1500,
    `took ${elapsed.toFixed(0)} ms, expected about ${expected}`,
  );
}

test('first-byte-timeout: a server that accepts the connection but never answers is connection-read-timeout', async () => {
  const held: Socket[] = [];
  const silent = createTcpServer((socket) => held.push(socket));
  const authority = await listen(silent);
  cleanups.push(() => {
    for (const socket of held) socket.destroy();
  });
  const handler = handlerFor(authority);
  const started = performance.now();
  const outcome = await send(handler, get(authority), timeouts({ connect: 5000, firstByte: 300 }));
  assert.deepEqual(outcome, { tag: 'err', val: { tag: 'connection-read-timeout' } });
  assertAbout(performance.now() - started, 300);
  assert.equal(held.length, 1, 'the connection was made: it is the answer that never came');
});

test('first-byte-timeout in WASI 0.3: send fails with connection-read-timeout', async () => {
  const held: Socket[] = [];
  const silent = createTcpServer((socket) => held.push(socket));
  const authority = await listen(silent);
  cleanups.push(() => {
    for (const socket of held) socket.destroy();
  });
  const handler = handlerFor(authority);
  const options = new RequestOptionsP3();
  options.setFirstByteTimeout(ms(300));
  const noTrailers = new FutureReader(new HostFuture(Promise.resolve({ tag: 'ok', val: undefined })));
  const [request] = Request.new(new Fields(), undefined, noTrailers, options);
  request.setScheme({ tag: 'HTTP' });
  request.setAuthority(authority);
  const started = performance.now();
  await assert.rejects(
    httpClientP3(handler).send(request),
    (e: unknown) => e instanceof ResultError && (e.payload as ErrorCode).tag === 'connection-read-timeout',
  );
  assertAbout(performance.now() - started, 300);
});

test('between-bytes-timeout: a body that stalls fails its stream with connection-read-timeout', async () => {
  const stalling = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first');
  });
  const authority = await listen(stalling);
  const handler = handlerFor(authority);
  const response = await ok(send(handler, get(authority), timeouts({ firstByte: 5000, betweenBytes: 300 })));
  assert.equal(response.status(), 200);
  let lastChunk = 0;
  const { text, failed } = await readBody(response.consume(), () => {
    lastChunk = performance.now();
  });
  assert.equal(text, 'first');
  assert.deepEqual(failed, { tag: 'connection-read-timeout' });
  assertAbout(performance.now() - lastChunk, 300);
});

test('between-bytes-timeout: a gap while the guest has unread bytes is the guest’s, not the server’s', async () => {
  const stalling = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first');
  });
  const authority = await listen(stalling);
  const handler = handlerFor(authority);
  const response = await ok(send(handler, get(authority), timeouts({ betweenBytes: 200 })));
  const body = response.consume();
  // The guest sits on 'first' for three times the timeout before it reads.
  await new Promise((resolve) => setTimeout(resolve, 600));
  const started = performance.now();
  const { text, failed } = await readBody(body);
  assert.equal(text, 'first');
  assert.deepEqual(failed, { tag: 'connection-read-timeout' });
  assertAbout(performance.now() - started, 200);
});

/**
 * A listener whose thread never accepts, with a backlog of one: once the kernel's accept queue is
 * full (Linux), further SYNs are dropped, so a connect hangs as it would to a host that does not
 * answer — on loopback, without depending on how an unroutable address behaves offline.
 */
async function unansweredAddress(): Promise<string | undefined> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const server = require('node:net').createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      parentPort.postMessage(server.address().port);
      while (Atomics.load(workerData, 0) === 0) Atomics.wait(workerData, 0, 0, 50);
      process.exit(0);
    });`,
    { eval: true, workerData: stop },
  );
  const [port] = (await once(worker, 'message')) as [number];
  const fillers: Socket[] = [];
  cleanups.push(async () => {
    for (const socket of fillers) socket.destroy();
    Atomics.store(stop, 0, 1);
    await once(worker, 'exit');
  });
  const connects = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      fillers.push(socket);
      socket.on('error', () => resolve(false));
      socket.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 300).unref();
    });
  for (let i = 0; i < 16; i++) if (!(await connects())) return `127.0.0.1:${port}`;
  return undefined;
}

test('connect-timeout: a connect that is never answered is connection-timeout (undici and node:http paths)', async (t) => {
  const authority = await unansweredAddress();
  if (!authority) {
    t.skip('this kernel does not drop SYNs to a full accept queue');
    return;
  }
  const handler = handlerFor(authority);
  let started = performance.now();
  const outcome = await send(handler, get(authority), timeouts({ connect: 300, firstByte: 5000 }));
  assert.deepEqual(outcome, { tag: 'err', val: { tag: 'connection-timeout' } });
  assertAbout(performance.now() - started, 300);

  // A request announcing trailers goes through node:http: the same timeout, the same code.
  const withTrailers = get(authority, '/', Fields.fromList([['trailer', Buffer.from('x-sum')]]));
  withTrailers.body();
  started = performance.now();
  const viaNode = await send(handler, withTrailers, timeouts({ connect: 300 }));
  assert.deepEqual(viaNode, { tag: 'err', val: { tag: 'connection-timeout' } });
  assertAbout(performance.now() - started, 300);
});

test('an authority or path a request line cannot carry is HTTP-request-URI-invalid, never a trap', async () => {
  const handler = handlerFor('*:*', OutboundPolicy.fromPatterns(['http://*:*']));
  for (const [authority, path] of [
    ['%%%', '/'],
    ['example.com:99999', '/'],
    ['exa%zzmple.com', '/'],
    ['[::1', '/'],
    ['example.com', '/a b'],
    ['example.com', '/\u0000'],
  ] as const) {
    assert.throws(
      () => handler.handle(get(authority, path), undefined),
      (e: unknown) => e instanceof ResultError && (e.payload as ErrorCode).tag === 'HTTP-request-URI-invalid',
      `${authority} ${JSON.stringify(path)}`,
    );
  }
  // WASI 0.3's client sends through the same handler: the guest gets the error code as well.
  const noTrailers = new FutureReader(new HostFuture(Promise.resolve({ tag: 'ok', val: undefined })));
  const [request] = Request.new(new Fields(), undefined, noTrailers, undefined);
  request.setScheme({ tag: 'HTTP' });
  request.setAuthority('%%%');
  await assert.rejects(
    httpClientP3(handler).send(request),
    (e: unknown) => e instanceof ResultError && (e.payload as ErrorCode).tag === 'HTTP-request-URI-invalid',
  );
});

test('trailers go both ways: a request that announces them sends them, a response’s reach the guest', async () => {
  const echo = createServer((req, res) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
    });
    req.on('end', () => {
      res.writeHead(200, { trailer: 'x-got' });
      res.write(`got ${length} bytes`);
      res.addTrailers({ 'x-got': String(req.trailers['x-sum']) });
      res.end();
    });
  });
  const authority = await listen(echo);
  const handler = handlerFor(authority);
  const request = get(authority, '/', Fields.fromList([['trailer', Buffer.from('x-sum')]]));
  request.setMethod({ tag: 'post' });
  const body = request.body();
  const stream = body.write();
  stream.write(Buffer.from('hello'));
  stream[Symbol.dispose]();
  const pending = send(handler, request);
  OutgoingBody.finish(body, Fields.fromList([['x-sum', Buffer.from('42')]]));
  const incoming = (await ok(pending)).consume();
  assert.deepEqual(await readBody(incoming), { text: 'got 5 bytes' });
  const trailers = IncomingBody.finish(incoming);
  await trailers.subscribe().block();
  const got = trailers.get();
  assert.ok(got?.tag === 'ok' && got.val.tag === 'ok', JSON.stringify(got));
  const values = got.val.val?.get('x-got') ?? [];
  assert.deepEqual(
    values.map((v) => Buffer.from(v).toString()),
    ['42'],
  );
});

test('OPTIONS * still reaches the server', async () => {
  const server = createServer((req, res) => res.end(`${req.method} ${req.url}`));
  const authority = await listen(server);
  const handler = handlerFor(authority);
  const request = get(authority, '*');
  request.setMethod({ tag: 'options' });
  const response = await ok(send(handler, request, timeouts({ firstByte: 5000 })));
  assert.deepEqual(await readBody(response.consume()), { text: 'OPTIONS *' });
});

test('a body with all its declared bytes is complete: an early answer does not fail the guest finishing it', async () => {
  // Node answers once the declared bytes are in, before the guest gets round to finishing.
  const quick = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('thanks'));
  });
  const authority = await listen(quick);
  const handler = handlerFor(authority);
  const request = get(authority, '/', Fields.fromList([['content-length', Buffer.from('5')]]));
  request.setMethod({ tag: 'post' });
  const body = request.body();
  const stream = body.write();
  stream.write(Buffer.from('hello'));
  const response = await ok(send(handler, request));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(stream.checkWrite() > 0n, 'the guest may still ask (and only a write past the length fails)');
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
  assert.deepEqual(await readBody(response.consume()), { text: 'thanks' });
});

test('disposing the instance ends its requests in flight, waiting or streaming', async () => {
  const stalling = createServer((req, res) => {
    if (req.url === '/body') res.writeHead(200).write('first');
  });
  const authority = await listen(stalling);
  const stopped = new AbortController();
  const handler = outgoingHandlerImports(
    OutboundPolicy.fromPatterns([`http://${authority}`]),
    () => {},
    stopped.signal,
  );
  const waiting = send(handler, get(authority, '/head'));
  const streaming = (await ok(send(handler, get(authority, '/body')))).consume();
  const reading = readBody(streaming);
  setTimeout(() => stopped.abort(new Error('the instance was stopped')), 100);
  assert.deepEqual(await waiting, {
    tag: 'err',
    val: { tag: 'internal-error', val: 'the instance was stopped' },
  });
  const { text, failed } = await reading;
  assert.equal(text, 'first');
  assert.equal(failed?.tag, 'internal-error');
});

test('connections are reused per origin, by one instance and across instances of a grant set', async () => {
  let connections = 0;
  const upstream = createServer((_req, res) => res.end('hi'));
  upstream.on('connection', () => connections++);
  const authority = await listen(upstream);
  const policy = OutboundPolicy.fromPatterns([`http://${authority}`]);
  const fetchOnce = async (handler: ReturnType<typeof handlerFor>) => {
    const response = await ok(send(handler, get(authority)));
    assert.deepEqual(await readBody(response.consume()), { text: 'hi' });
  };
  // undici frees a connection one turn of the event loop after its response ends, so a request
  // sent at once may open a second one; from then on those serve every request.
  const first = handlerFor(authority, policy);
  for (let i = 0; i < 10; i++) await fetchOnce(first);
  assert.ok(connections <= 2, `one instance, ten sequential requests: ${connections} connections`);
  const second = handlerFor(authority, policy);
  for (let i = 0; i < 10; i++) await fetchOnce(second);
  assert.ok(connections <= 2, `and ten more from another instance of it: ${connections} connections`);
  // Another component (another grant set) has connections of its own.
  const before = connections;
  const other = handlerFor(authority, OutboundPolicy.fromPatterns([`http://${authority}`]));
  await fetchOnce(other);
  assert.equal(connections, before + 1);
});
