/**
 * Skiff's binder and the lean path must change nothing a guest can see. Oracle: a brand-new
 * instance from jco's glue for every request. Candidate: Skiff's own binder, one instance reset
 * to its post-instantiation snapshot (handle tables included) between requests. Both must answer
 * every request identically, for every HTTP fixture.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Component, type GuestInstance } from '../../src/engine/component.ts';
import { IncomingBody } from '../../src/wasi/http/bodies.ts';
import { Fields } from '../../src/wasi/http/fields.ts';
import { IncomingRequest, ResponseOutparam, type ResponseResult } from '../../src/wasi/http/messages.ts';
import { instanceImports, prepareGrants } from '../../src/wasi/imports.ts';
import { bytesSource, discardSink, emptySource } from '../../src/wasi/io/node-streams.ts';
import { TEST_CACHE_DIR } from '../support/skiff-process.ts';

const FIXTURES = [
  'fixtures/c/hello/hello.wasm',
  'fixtures/c/echo/echo.wasm',
  'fixtures/rust/hello/hello.wasm',
  'fixtures/rust/echo/echo.wasm',
  'fixtures/rust/counter/counter.wasm',
  'fixtures/js/hello/hello.wasm',
  'fixtures/js/echo/echo.wasm',
  'fixtures/rust/responder/responder.wasm',
  'fixtures/rust/wstd-guest/wstd-guest.wasm',
  'fixtures/rust/hostile/hostile.wasm',
];

const encoder = new TextEncoder();
const REQUESTS = [
  { method: 'GET', path: '/', headers: [['accept', 'text/plain']], body: '' },
  {
    method: 'POST',
    path: '/echo/a?b=1',
    headers: [
      ['x-one', '1'],
      ['content-type', 'text/plain'],
    ],
    body: 'payload one',
  },
  { method: 'PUT', path: '/env', headers: [['x-two', '2']], body: 'x'.repeat(70_000) },
  { method: 'GET', path: '/again', headers: [], body: '' },
] as const;

interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

async function ask(
  instance: GuestInstance,
  exportName: string,
  spec: (typeof REQUESTS)[number],
): Promise<Answer> {
  let result: ResponseResult | undefined;
  const chunks: Uint8Array[] = [];
  const outparam = new ResponseOutparam((r) => {
    result = r;
    if (r.tag === 'ok' && r.val.bodyTaken) {
      r.val.outgoingBody.attach({
        sink: {
          capacity: () => 65536,
          write: (b) => void chunks.push(b),
          whenWritable: () => Promise.resolve(),
        },
        finish: () => {},
        abort: () => {},
      });
    }
  });
  const headers = Fields.frozen(spec.headers.map(([n, v]) => [n, encoder.encode(v)]));
  const body = new IncomingBody(spec.body ? bytesSource(encoder.encode(spec.body)) : emptySource());
  const request = new IncomingRequest({
    method: spec.method,
    pathWithQuery: spec.path,
    scheme: { tag: 'HTTP' },
    authority: 'differential',
    headers,
    body,
  });
  await instance.exports[exportName].handle(request, outparam);
  assert.ok(result && result.tag === 'ok', 'the guest responded');
  const response = result.val;
  return {
    status: response.statusCode(),
    headers: response
      .headers()
      .entries()
      .map(([n, v]) => [n, Buffer.from(v).toString('latin1')]),
    body: Buffer.concat(chunks).toString('latin1'),
  };
}

for (const file of FIXTURES) {
  test(`${file}: a reset instance answers exactly like a brand-new one`, async () => {
    const jco = await Component.load(file, { cacheDir: TEST_CACHE_DIR, binder: 'jco' });
    const skiff = await Component.load(file, { cacheDir: TEST_CACHE_DIR, binder: 'skiff' });
    const exportName = skiff.requireEntry('http');
    assert.equal(jco.requireEntry('http'), exportName);
    const grants = prepareGrants('differential', {
      environment: { MODE: 'test' },
      files: [],
      allowedOutboundHosts: [],
    });
    const instantiate = (component: Component) =>
      component.instantiate(
        instanceImports(grants, {
          componentId: 'differential',
          args: [],
          stdin: emptySource(),
          stdout: discardSink(),
          stderr: discardSink(),
          log: () => {},
        }).imports,
      );
    let recycled = await instantiate(skiff);
    let resets = 0;
    for (const spec of REQUESTS) {
      const oracle = await ask(await instantiate(jco), exportName, spec);
      const candidate = await ask(recycled, exportName, spec);
      assert.deepEqual(candidate, oracle, `${spec.method} ${spec.path}`);
      // As in the pool: an instance whose memory grew cannot be reset and is replaced.
      if (recycled.reset()) resets++;
      else recycled = await instantiate(skiff);
    }
    assert.ok(resets >= 2, `only ${resets} of ${REQUESTS.length} requests were followed by a reset`);
  });
}
