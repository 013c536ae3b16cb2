/**
 * The metrics of events no example app makes yet (outbound HTTP and key-value calls are published
 * by their capabilities), published here on the real channels; that telemetry subscribes to
 * nothing until started and lets go of everything when stopped; the latency bins' accuracy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AggregatorRegistry, Counter, Histogram, type Metric, Registry } from 'prom-client';
import { startAppTelemetry } from '../../src/admin/telemetry.ts';
import type { App } from '../../src/manifest/app.ts';
import {
  guestTrapped,
  instanceReset,
  instantiateTracing,
  keyValueTracing,
  outboundTracing,
  requestFinished,
} from '../../src/observability/events.ts';
import { HotCounter, HotHistogram } from '../../src/observability/hot-metrics.ts';
import { addTo, binOf, quantile } from '../../src/observability/latency-histogram.ts';
import { startMetrics } from '../../src/observability/metrics.ts';
import { parsePrometheusText, sampleValue } from './prometheus-text.ts';

const channels = {
  requestFinished,
  instantiateTracing,
  instanceReset,
  guestTrapped,
  keyValueTracing,
  outboundTracing,
};
const subscribed = () =>
  Object.entries(channels)
    .filter(([, channel]) => channel.hasSubscribers)
    .map(([name]) => name);

test('outbound requests count by status ("error" when none came), key-value operations by store and operation', async () => {
  const metrics = startMetrics('unit');
  try {
    for (const status of [200, 200, 404]) {
      await outboundTracing.tracePromise(async () => {}, {
        component: 'api',
        method: 'GET',
        url: 'https://example.com/',
        headers: {},
        status,
      });
    }
    await assert.rejects(
      outboundTracing.tracePromise(() => Promise.reject(new Error('connection refused')), {
        component: 'api',
        method: 'GET',
        url: 'https://example.com/',
        headers: {},
      }),
    );
    for (const operation of ['get', 'get', 'set'])
      await keyValueTracing.tracePromise(async () => {}, { component: 'api', store: 'default', operation });
    instanceReset.publish({ component: 'api', ms: 0.05, ok: true });
    guestTrapped.publish({ component: 'api', requestId: 1, message: 'unreachable' });
    const samples = parsePrometheusText(await metrics.registry.metrics());
    const outbound = (status: string) =>
      sampleValue(samples, 'skiff_outbound_requests_total', { component: 'api', status });
    assert.deepEqual([outbound('200'), outbound('404'), outbound('error')], [2, 1, 1]);
    const kv = (operation: string) =>
      sampleValue(samples, 'skiff_key_value_operations_total', {
        component: 'api',
        store: 'default',
        operation,
      });
    assert.deepEqual([kv('get'), kv('set')], [2, 1]);
    assert.equal(
      sampleValue(samples, 'skiff_instance_reset_duration_seconds_count', { component: 'api' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'skiff_instance_reset_duration_seconds_bucket', {
        component: 'api',
        le: '0.0001',
      }),
      1,
      '0.05 ms is counted in seconds',
    );
    assert.equal(sampleValue(samples, 'skiff_guest_traps_total', { component: 'api' }), 1);
  } finally {
    metrics.stop();
  }
});

test('nothing listens to the core until telemetry starts, and nothing after it stops (off costs nothing)', () => {
  assert.deepEqual(subscribed(), []);
  const app: App = {
    manifestPath: undefined,
    baseDir: '.',
    name: 'unit',
    version: undefined,
    description: undefined,
    components: new Map(),
    triggers: [],
  };
  const telemetry = startAppTelemetry(app);
  assert.deepEqual(subscribed(), [
    'requestFinished',
    'instantiateTracing',
    'instanceReset',
    'guestTrapped',
    'keyValueTracing',
    'outboundTracing',
  ]);
  telemetry.stop();
  assert.deepEqual(subscribed(), []);
});

test('latency bins: p50 and p99 within 4% of the exact values, and bins add up across workers', () => {
  const exact = Array.from({ length: 10_000 }, (_, i) => 0.05 * 1.001 ** i);
  const [a, b] = [new Map<number, number>(), new Map<number, number>()];
  for (const [i, ms] of exact.entries()) addTo(i % 2 ? a : b, binOf(ms));
  const merged = new Map(a);
  for (const [bin, n] of b) addTo(merged, bin, n);
  for (const q of [0.5, 0.99]) {
    const want = exact[Math.ceil(q * exact.length) - 1] as number;
    const got = quantile(merged, q) as number;
    assert.ok(Math.abs(got - want) / want < 0.04, `q${q}: ${got} vs ${want}`);
  }
  assert.equal(quantile(new Map(), 0.5), null);
});

test("the hot-path counter and histogram print exactly what prom-client's own would, alone and summed over workers", async () => {
  const bounds = [0.001, 0.01, 0.1];
  const observations: Array<[string, number]> = [
    ['/a', 0.0005],
    ['/a', 0.001],
    ['/b', 0.05],
    ['/a', 0.2],
    ['/b', 0.01],
  ];
  const theirs = new Registry();
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: ['route'],
    buckets: bounds,
    registers: [theirs],
  });
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['route'], registers: [theirs] });
  const ours = new Registry();
  const hotHistogram = new HotHistogram('h_seconds', 'h', bounds, (route: string) => ({ route }));
  const hotCounter = new HotCounter('c_total', 'c', (route: string) => ({ route }));
  ours.registerMetric(hotHistogram as unknown as Metric);
  ours.registerMetric(hotCounter as unknown as Metric);
  for (const [route, value] of observations) {
    histogram.observe({ route }, value);
    counter.inc({ route });
    hotHistogram.observe([route], route, value);
    hotCounter.inc([route], route);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  const summed = async (registry: Registry) =>
    AggregatorRegistry.aggregate([
      await registry.getMetricsAsJSON(),
      await registry.getMetricsAsJSON(),
    ]).metrics();
  assert.equal(await summed(ours), await summed(theirs));
  assert.match(await summed(ours), /^h_seconds_bucket\{le="\+Inf",route="\/a"\} 6$/m);
});
