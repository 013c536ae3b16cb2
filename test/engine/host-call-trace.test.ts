/**
 * The binder differential at the level of WIT values: the same guest, the same request, once through
 * Skiff's binder and once through jco's glue, with every call into the WASI host recorded — which
 * function, on which resource, with which arguments, and what it returned or threw. The two traces
 * must be identical, call for call; any difference in how a value is lifted or lowered shows up
 * as a differing argument or result, not just as a different HTTP answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BinderName, Component } from '../../src/engine/component.ts';
import { IncomingBody } from '../../src/wasi/http/bodies.ts';
import { Fields } from '../../src/wasi/http/fields.ts';
import { IncomingRequest, ResponseOutparam } from '../../src/wasi/http/messages.ts';
import { instanceImports, prepareGrants } from '../../src/wasi/imports.ts';
import { bytesSource, discardSink, emptySource } from '../../src/wasi/io/node-streams.ts';
import { describe, deterministicHost, startTrace, stopTrace, traceHost } from '../support/host-call-trace.ts';
import { TEST_CACHE_DIR } from '../support/skiff-process.ts';

const FIXTURES = [
  'fixtures/c/hello/hello.wasm',
  'fixtures/c/echo/echo.wasm',
  'fixtures/rust/hello/hello.wasm',
  'fixtures/rust/echo/echo.wasm',
  'fixtures/rust/responder/responder.wasm',
  'fixtures/rust/wstd-guest/wstd-guest.wasm',
  'fixtures/js/echo/echo.wasm',
];

async function traceOf(file: string, binder: BinderName, method: string, path: string, body: string) {
  const component = await Component.load(file, { cacheDir: TEST_CACHE_DIR, binder });
  const grants = prepareGrants('trace', {
    environment: { MODE: 'trace' },
    files: [],
    allowedOutboundHosts: [],
  });
  const host = instanceImports(grants, {
    componentId: 'trace',
    args: [],
    stdin: emptySource(),
    stdout: discardSink(),
    stderr: discardSink(),
    log: () => {},
  });
  // Clocks and randomness answer the same on both runs, so only the binders can differ.
  const instance = await component.instantiate(traceHost(deterministicHost(host.imports)));
  const encoder = new TextEncoder();
  const request = new IncomingRequest({
    method,
    pathWithQuery: path,
    scheme: { tag: 'HTTP' },
    authority: 'trace',
    headers: Fields.frozen([
      ['content-type', encoder.encode('text/plain')],
      ['x-trace', encoder.encode('1')],
    ]),
    body: new IncomingBody(body ? bytesSource(encoder.encode(body)) : emptySource()),
  });
  const outparam = new ResponseOutparam((r) => {
    if (r.tag === 'ok' && r.val.bodyTaken)
      r.val.outgoingBody.attach({
        sink: { capacity: () => 65536, write: () => {}, whenWritable: () => Promise.resolve() },
        finish: () => {},
        abort: () => {},
      });
  });
  const trace = startTrace();
  describe(request);
  describe(outparam);
  try {
    await instance.exports[component.requireEntry('http')].handle(request, outparam);
    return trace;
  } finally {
    stopTrace();
    host.dispose();
  }
}

for (const file of FIXTURES) {
  test(`${file}: every host call, its arguments and results are the same through Skiff's binder and jco's glue`, async () => {
    for (const [method, path, body] of [
      ['GET', '/', ''],
      ['POST', '/echo?x=1', 'some body'],
      ['GET', '/respond?status=201&h=x-a:1&body=hi', ''],
      ['GET', '/stream', ''],
    ] as const) {
      const jco = await traceOf(file, 'jco', method, path, body);
      const skiff = await traceOf(file, 'skiff', method, path, body);
      assert.ok(jco.length > 3, `${method} ${path}: the guest made host calls (${jco.length})`);
      assert.deepEqual(skiff, jco, `${method} ${path}`);
    }
  });
}
