/**
 * One WASI 0.3 instance runs several calls at once (issue #10): the handler's async tasks interleave
 * between core calls, each waiting on its own waitable set, so eight 200 ms requests to ONE
 * instance finish together; and a trap in one call poisons the instance for the others.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamReader } from '../../src/engine/binding/canonical-abi/streams.ts';
import { Component } from '../../src/engine/component.ts';
import { Fields } from '../../src/wasi/http/fields.ts';
import { instanceImports, prepareGrants } from '../../src/wasi/imports.ts';
import { emptySource, lineSink } from '../../src/wasi/io/node-streams.ts';
import { Request, type Response, receivedBody } from '../../src/wasi/p3/http-types.ts';
import { TEST_CACHE_DIR } from '../support/skiff-process.ts';

const FIXTURE = 'fixtures/rust/p3-http/p3-http.wasm';

async function oneInstance() {
  const component = await Component.load(FIXTURE, { cacheDir: TEST_CACHE_DIR });
  const grants = prepareGrants('p3', { environment: {}, files: [], allowedOutboundHosts: [] });
  const host = instanceImports(grants, {
    componentId: 'p3',
    args: [],
    stdin: emptySource(),
    stdout: lineSink(() => {}),
    stderr: lineSink(() => {}),
    log: () => {},
  });
  const instance = await component.instantiate(host.imports);
  const handler = instance.exports[component.requireEntry('http')] as {
    handle(request: Request): Promise<Response>;
  };
  const dispose = () => {
    instance.dispose();
    host.dispose();
  };
  return { handler, dispose };
}

function get(path: string): Request {
  return Request.received({
    method: 'GET',
    pathWithQuery: path,
    scheme: { tag: 'HTTP' },
    authority: 'test',
    headers: Fields.frozen([]),
    body: receivedBody(emptySource(), async () => undefined),
  });
}

async function bodyOf(response: Response): Promise<string> {
  const sent = response.sent;
  assert.ok(sent);
  let text = '';
  for await (const chunk of sent.contents as StreamReader)
    text += Buffer.from(chunk as Uint8Array).toString();
  // A body whose writer went away without its trailers never ended cleanly (as sendGuestBody sees it).
  const trailers = await sent.trailers.read();
  if ('dropped' in trailers) throw new Error(`the body broke off after ${JSON.stringify(text)}`);
  sent.done({ tag: 'ok' });
  return text;
}

test('eight slow calls to one instance run at once and each gets its own answer', async () => {
  const { handler, dispose } = await oneInstance();
  try {
    const started = performance.now();
    const bodies = await Promise.all(
      Array.from({ length: 8 }, async () => bodyOf(await handler.handle(get('/slow')))),
    );
    const elapsed = performance.now() - started;
    assert.deepEqual(bodies, Array(8).fill('ab'));
    assert.ok(elapsed < 800, `8 × 200 ms calls on one instance took ${Math.round(elapsed)} ms`);
    assert.equal(await bodyOf(await handler.handle(get('/hello'))), 'hello from wasi 0.3\n');
  } finally {
    dispose();
  }
});

test('a trap in one call poisons the instance: the calls in flight fail, none is left hanging', async () => {
  const { handler, dispose } = await oneInstance();
  try {
    const slow = handler.handle(get('/slow')).then(bodyOf);
    await assert.rejects(handler.handle(get('/trap')), /unreachable|RuntimeError/);
    await assert.rejects(slow);
    await assert.rejects(async () => handler.handle(get('/hello')), /may-enter/, 'no new call enters it');
  } finally {
    dispose();
  }
});
