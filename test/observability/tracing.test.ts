/**
 * Traces of real requests: `skiff up` exports over OTLP/HTTP (configured by OTEL_* variables only)
 * to a receiver this test runs on loopback, which decodes the protobuf bodies itself. A request
 * with a W3C traceparent to the Rust responder, which forwards it to an upstream server here, and
 * one to the Rust visitor counter (key-value), then the spans: the incoming trace kept, the
 * SERVER → instantiation / guest call → CLIENT and key-value tree, the attributes, and the
 * `traceparent` the upstream received naming the CLIENT span.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { requestFinished, requestTracing } from '../../src/observability/events.ts';
import { otelConfig } from '../../src/observability/otel-config.ts';
import { RateLimitedSampler } from '../../src/observability/rate-sampler.ts';
import { RECENT_TRACES_PER_SECOND, startTracing } from '../../src/observability/tracing.ts';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  SPAN_KIND,
  startOtlpReceiver,
} from '../support/otlp-receiver.ts';
import { REPO, type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const PROXY_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PROXY_PARENT = '00f067aa0ba902b7';
const KV_TRACE = '0af7651916cd43dd8448eb211c80319c';
const KV_PARENT = 'b7ad6b7169203331';

let receiver: OtlpReceiver;
let skiff: SkiffProcess;
/** What the upstream server was sent: each request's traceparent and tracestate headers. */
const upstreamSaw: Array<{
  traceparent: string | string[] | undefined;
  tracestate: string | string[] | undefined;
}> = [];
const upstream = createServer((req, res) => {
  upstreamSaw.push({ traceparent: req.headers.traceparent, tracestate: req.headers.tracestate });
  res.writeHead(200, { 'content-type': 'text/plain' }).end('from upstream\n');
});

before(async () => {
  receiver = await startOtlpReceiver();
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const { port } = upstream.address() as AddressInfo;
  const dir = await mkdtemp(join(tmpdir(), 'skiff-tracing-'));
  const manifest = [
    'skiff_manifest_version = 1',
    '[application]',
    'name = "traced"',
    '[[trigger.http]]',
    'route = "/proxy/..."',
    'component = "responder"',
    '[[trigger.http]]',
    'route = "/api/..."',
    'component = "visitors"',
    '[component.responder]',
    `source = "${join(REPO, 'fixtures/rust/responder/responder.wasm')}"`,
    `allowed_outbound_hosts = ["http://127.0.0.1:${port}"]`,
    '[component.visitors]',
    `source = "${join(REPO, 'fixtures/rust/visitors/visitors.wasm')}"`,
    'key_value_stores = ["default"]',
  ];
  await writeFile(join(dir, 'skiff.toml'), `${manifest.join('\n')}\n`);
  // No instance made ahead: each request waits for its own instantiation, which its trace shows.
  skiff = await startSkiffUp(['--from', dir, '--lifecycle', 'fresh', '--prewarm', '0'], {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'skiff-tracing-test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
  });
});

after(async () => {
  await skiff?.stop();
  await receiver?.close();
  upstream.close();
});

const only = (spans: ReceivedSpan[], where: (span: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
  const found = spans.filter(where);
  assert.equal(
    found.length,
    1,
    `expected one ${what}, found ${found.length}: ${JSON.stringify(found.map((s) => s.name))}`,
  );
  return found[0] as ReceivedSpan;
};

/** The request's SERVER span and its children, once the receiver has the trace. */
async function traceOf(traceId: string, childCount: number, instantiated = true) {
  await receiver.waitFor((spans) => spans.filter((s) => s.traceId === traceId).length >= childCount + 1);
  const spans = receiver.spans.filter((s) => s.traceId === traceId);
  const server = only(spans, (s) => s.kind === SPAN_KIND.server, 'SERVER span');
  const guest = only(
    spans,
    (s) => s.parentSpanId === server.spanId && s.name.startsWith('guest call'),
    'guest call span',
  );
  // A fresh instance is reset after its request and goes back to the pool: only a request that
  // found the pool empty waited for an instantiation.
  const instantiations = spans.filter(
    (s) => s.parentSpanId === server.spanId && s.name.startsWith('instantiate'),
  );
  assert.equal(instantiations.length, instantiated ? 1 : 0, `instantiation spans of ${traceId}`);
  const instantiate = instantiations[0] as ReceivedSpan;
  return { spans, server, guest, instantiate };
}

test('a request with a traceparent: its trace is kept, and the outbound request carries the CLIENT span', async () => {
  const { port } = upstream.address() as AddressInfo;
  const response = await fetch(`${skiff.url}/proxy/forward?to=http://127.0.0.1:${port}/up`, {
    headers: { traceparent: `00-${PROXY_TRACE}-${PROXY_PARENT}-01`, tracestate: 'vendor=opaque' },
  });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(await response.text(), 'from upstream\n');

  const { spans, server, guest, instantiate } = await traceOf(PROXY_TRACE, 3);
  // The incoming span is the SERVER span's parent: the caller's trace goes on.
  assert.equal(server.parentSpanId, PROXY_PARENT);
  assert.equal(server.traceState, 'vendor=opaque');
  assert.equal(server.name, 'GET /proxy/...');
  assert.equal(server.attributes['http.request.method'], 'GET');
  assert.equal(server.attributes['http.route'], '/proxy/...');
  assert.equal(server.attributes['url.path'], '/proxy/forward');
  assert.equal(server.attributes['http.response.status_code'], 200);
  assert.equal(server.attributes['skiff.component'], 'responder');
  assert.equal(typeof server.attributes['skiff.request_id'], 'number');
  const cpu = server.attributes['skiff.guest.cpu_ms'];
  assert.ok(typeof cpu === 'number' && cpu > 0, `guest CPU: ${cpu}`);
  assert.equal(server.status.code, 0);
  assert.equal(server.resource['service.name'], 'skiff-tracing-test');

  // The instantiation the request waited for ends before its guest call starts.
  assert.ok(instantiate.endNs <= guest.startNs, 'instantiation before the guest call');
  assert.ok(guest.startNs >= server.startNs && guest.endNs <= server.endNs, 'guest call inside the request');

  const client = only(spans, (s) => s.kind === SPAN_KIND.client, 'CLIENT span');
  assert.equal(client.parentSpanId, guest.spanId);
  assert.equal(client.name, `GET http://127.0.0.1:${port}`);
  assert.equal(client.attributes['http.request.method'], 'GET');
  assert.equal(client.attributes['url.full'], `http://127.0.0.1:${port}/up`);
  assert.equal(client.attributes['server.port'], port);
  assert.equal(client.attributes['http.response.status_code'], 200);

  // The responder copies every incoming header to its request, traceparent included: the host's
  // replaces it, so the upstream sees one, naming the CLIENT span.
  assert.equal(upstreamSaw.length, 1);
  assert.equal(upstreamSaw[0]?.traceparent, `00-${PROXY_TRACE}-${client.spanId}-01`);
  assert.equal(upstreamSaw[0]?.tracestate, 'vendor=opaque');
  assert.deepEqual(
    receiver.contentTypes.filter((t) => t !== 'application/x-protobuf'),
    [],
  );
});

test('key-value operations are spans under the guest call, and the admin listener shows the same trace', async () => {
  const response = await fetch(`${skiff.url}/api/visitors`, {
    method: 'POST',
    headers: { traceparent: `00-${KV_TRACE}-${KV_PARENT}-01` },
  });
  assert.equal(response.status, 200, await response.clone().text());

  const { spans, server, guest } = await traceOf(KV_TRACE, 4);
  assert.equal(server.parentSpanId, KV_PARENT);
  assert.equal(server.name, 'POST /api/...');
  const operations = spans.filter((s) => s.name.startsWith('key-value '));
  assert.deepEqual(operations.map((s) => s.name).sort(), ['key-value increment', 'key-value open']);
  for (const operation of operations) {
    assert.equal(operation.parentSpanId, guest.spanId);
    assert.equal(operation.kind, SPAN_KIND.client);
    assert.equal(operation.attributes['skiff.key_value.store'], 'default');
    assert.equal(operation.attributes['skiff.component'], 'visitors');
    assert.ok(operation.startNs >= guest.startNs && operation.endNs <= guest.endNs);
  }
  assert.equal(
    operations.find((s) => s.name === 'key-value increment')?.attributes['db.operation.name'],
    'increment',
  );

  // The admin listener's recent traces hold it too, from the in-memory processor.
  const admin = (await (await fetch(`${skiff.adminUrl}/api/traces`)).json()) as Array<{
    traceId: string;
    name: string;
    status: string;
    spans: Array<{ spanId: string; parentSpanId?: string; name: string }>;
  }>;
  const kept = admin.find((t) => t.traceId === KV_TRACE);
  assert.ok(kept, `admin traces: ${admin.map((t) => t.traceId).join(', ')}`);
  assert.equal(kept.name, 'POST /api/...');
  assert.equal(kept.status, 'ok');
  assert.deepEqual(kept.spans.map((s) => s.spanId).sort(), spans.map((s) => s.spanId).sort());
});

test('concurrent requests each keep their own trace through suspended guest calls', async () => {
  const ids = Array.from(
    { length: 12 },
    (_, i) => `${'c0ffee'.padEnd(30, '0')}${i.toString(16).padStart(2, '0')}`,
  );
  await Promise.all(
    ids.map(async (traceId) => {
      const response = await fetch(`${skiff.url}/api/visitors`, {
        method: 'POST',
        headers: { traceparent: `00-${traceId}-${KV_PARENT}-01` },
      });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }),
  );
  // A SERVER span ends after its children, and the exporter sends spans in the order they end.
  await receiver.waitFor((spans) =>
    ids.every((id) => spans.some((s) => s.traceId === id && s.kind === SPAN_KIND.server)),
  );
  for (const traceId of ids) {
    const made = receiver.spans.some((s) => s.traceId === traceId && s.name.startsWith('instantiate'));
    const { spans, guest } = await traceOf(traceId, made ? 4 : 3, made);
    const operations = spans.filter((s) => s.name.startsWith('key-value '));
    assert.equal(operations.length, 2, `trace ${traceId}`);
    for (const operation of operations) assert.equal(operation.parentSpanId, guest.spanId);
  }
});

test('with no OTLP endpoint and no admin listener, tracing subscribes to nothing', async () => {
  assert.equal(startTracing({ app: 'x', keepRecent: false, warn: assert.fail, env: {} }), undefined);
  assert.equal(requestTracing.hasSubscribers, false);
  assert.equal(requestFinished.hasSubscribers, false);
  const on = startTracing({ app: 'x', keepRecent: true, warn: assert.fail, env: {} });
  assert.equal(requestTracing.hasSubscribers, true);
  await on?.shutdown();
  assert.equal(requestTracing.hasSubscribers, false);
});

test('OTEL_* settings Skiff cannot follow are warnings that name the variable', () => {
  const config = otelConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_TRACES_SAMPLER: 'sometimes',
    OTEL_BSP_SCHEDULE_DELAY: 'soon',
  });
  assert.equal(config.exporting, true);
  assert.equal(config.warnings.length, 3);
  for (const said of [
    /^OTEL_TRACES_SAMPLER=sometimes .*parentbased_always_on$/,
    /^OTEL_BSP_SCHEDULE_DELAY=soon is not a whole number/,
    /^OTEL_EXPORTER_OTLP_PROTOCOL=grpc: .*http\/protobuf.*4318/,
  ])
    assert.ok(
      config.warnings.some((w) => said.test(w)),
      `${said} in ${JSON.stringify(config.warnings)}`,
    );
  assert.equal(otelConfig({}).exporting, false);
  assert.equal(
    otelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SDK_DISABLED: 'true' }).exporting,
    false,
  );
  assert.equal(
    otelConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318/t' }).tracesUrl,
    'http://x:4318/t',
  );
  assert.equal(
    otelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318/' }).tracesUrl,
    'http://x:4318/v1/traces',
  );
  assert.equal(
    otelConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_TRACES_EXPORTER: 'none' }).exporting,
    false,
  );
});

test('without an OTLP endpoint, the dashboard traces are rate-limited: 10 new traces a second per worker', () => {
  const sampler = new RateLimitedSampler(RECENT_TRACES_PER_SECOND);
  const decide = () =>
    sampler.shouldSample(ROOT_CONTEXT, 'a'.repeat(32), 'GET /', SpanKind.SERVER, {}, []).decision;
  const burst = Array.from({ length: 50 }, decide);
  assert.equal(
    burst.filter((d) => d === SamplingDecision.RECORD_AND_SAMPLED).length,
    RECENT_TRACES_PER_SECOND,
  );
  assert.equal(burst.filter((d) => d === SamplingDecision.NOT_RECORD).length, 50 - RECENT_TRACES_PER_SECOND);
});
