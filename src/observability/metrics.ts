/**
 * Prometheus metrics of one process, kept with prom-client from the core's events (events.ts).
 * Each worker counts its own requests; the admin listener asks every worker for its registry as
 * JSON (the 'metrics-json' source) and sums them with prom-client's cluster aggregation, so
 * /metrics shows the whole server. Nothing here runs unless the admin listener is on. Metrics
 * updated on every request are hot-metrics.ts's; those of rarer events are prom-client's own.
 */
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import type { AdminSource } from '../admin/sources.ts';
import type { ComponentStats } from '../triggers/http/http-app.ts';
import {
  guestTrapped,
  type InstantiateEvent,
  instanceReset,
  instantiateTracing,
  type KeyValueEvent,
  keyValueTracing,
  type OutboundEvent,
  outboundTracing,
  type RequestEvent,
  type RequestOutcome,
  type ResetEvent,
  requestFinished,
  type TrapEvent,
} from './events.ts';
import { HotCounter, HotHistogram } from './hot-metrics.ts';

/** Request latency: from well under a millisecond (a warm C guest) to the longest timeout. */
const REQUEST_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** Guest CPU per request: a handler uses tens of microseconds; the default cap is 5 s. */
const GUEST_CPU_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** Making an instance: about a millisecond for a small guest, seconds for a large JS one. */
const CREATE_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Resetting one: a memory copy, from microseconds up. */
const RESET_SECONDS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
];

/** The request outcomes that are a limit the host enforced, by the `limit` label they count under. */
const LIMIT_OF: Partial<Record<RequestOutcome | 'memory-limit', string>> = {
  timeout: 'timeout',
  'cpu-limit': 'cpu',
  'concurrency-limit': 'concurrency',
  'body-limit': 'body',
  // Not published yet: a memory.grow refused at the cap is seen only by the guest's allocator.
  'memory-limit': 'memory',
};

/** Outcomes of requests a guest ran for (the others were answered by the host alone). */
const GUEST_RAN = new Set<RequestOutcome>(['ok', 'trap', 'timeout', 'cpu-limit']);

export interface WorkerMetrics {
  registry: Registry;
  /** This process's metrics as JSON, summed over the workers in the primary. */
  source: AdminSource;
  /** From now on the instance gauges read the served app; its components' counters start at 0. */
  attach(stats: () => ComponentStats[]): void;
  /** Unsubscribes from every channel. */
  stop(): void;
}

/** Sums the workers' registries (prom-client's own cluster aggregation: counters and histograms add up). */
export function mergeMetrics(parts: unknown[]): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
  return AggregatorRegistry.aggregate(parts as object[]).getMetricsAsJSON();
}

/** The Prometheus text (format 0.0.4) of every worker's metrics together. */
export function metricsText(parts: unknown[]): Promise<string> {
  return AggregatorRegistry.aggregate(parts as object[]).metrics();
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const seconds = (ms: number) => ms / 1000;

export function startMetrics(app: string): WorkerMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  let stats: (() => ComponentStats[]) | undefined;

  const requests = new HotCounter(
    'skiff_http_requests_total',
    'HTTP requests answered, by route, component, status and outcome (route and component are empty when no route matched)',
    (e: RequestEvent) => ({
      app,
      component: e.component ?? '',
      route: e.route ?? '',
      status: e.status ?? 0,
      outcome: e.outcome ?? 'ok',
    }),
  );
  const duration = new HotHistogram(
    'skiff_http_request_duration_seconds',
    'Wall-clock time from a request reaching Skiff to its last response byte',
    REQUEST_SECONDS,
    (e: RequestEvent) => ({ app, component: e.component ?? '', route: e.route ?? '' }),
  );
  const guestCpu = new HotHistogram(
    'skiff_guest_cpu_seconds',
    'Guest CPU time per request (time suspended on I/O not counted)',
    GUEST_CPU_SECONDS,
    (e: RequestEvent) => ({ app, component: e.component ?? '' }),
  );
  const created = new Histogram({
    name: 'skiff_instance_create_duration_seconds',
    help: 'Time to make one instance of a component (pre-warmed ones included)',
    labelNames: ['component'],
    buckets: CREATE_SECONDS,
    registers,
  });
  const reset = new HotHistogram(
    'skiff_instance_reset_duration_seconds',
    'Time to put an instance back to its just-instantiated state after a request (lifecycle fresh)',
    RESET_SECONDS,
    (e: ResetEvent) => ({ component: e.component }),
  );
  for (const hot of [requests, duration, guestCpu, reset]) registry.registerMetric(hot as unknown as Metric);
  new Gauge({
    name: 'skiff_instances',
    help: 'Instances of each component: idle (ready in the pool) or busy (one per request in flight)',
    labelNames: ['component', 'state'],
    registers,
    collect() {
      this.reset();
      for (const { component, idle, inFlight } of stats?.() ?? []) {
        this.set({ component, state: 'idle' }, idle);
        this.set({ component, state: 'busy' }, inFlight);
      }
    },
  });
  const traps = new Counter({
    name: 'skiff_guest_traps_total',
    help: 'Guest traps (each failed its own request with a 500)',
    labelNames: ['component'],
    registers,
  });
  const limitHits = new Counter({
    name: 'skiff_limit_hits_total',
    help: 'Requests stopped or refused by a limit: timeout (504), cpu (503), concurrency (503), body (413)',
    labelNames: ['component', 'limit'],
    registers,
  });
  const outbound = new Counter({
    name: 'skiff_outbound_requests_total',
    help: 'Outbound HTTP requests guests made, by response status ("error" when none came)',
    labelNames: ['component', 'status'],
    registers,
  });
  const keyValue = new Counter({
    name: 'skiff_key_value_operations_total',
    help: 'Key-value operations guests asked for',
    labelNames: ['component', 'store', 'operation'],
    registers,
  });

  const onRequest = (message: unknown) => {
    const event = message as RequestEvent;
    const { component = '', route = '', outcome = 'ok', status = 0 } = event;
    requests.inc([component, route, status, outcome], event);
    duration.observe([component, route], event, seconds(event.wallMs ?? 0));
    if (event.component === undefined) return;
    if (GUEST_RAN.has(outcome)) guestCpu.observe([component], event, seconds(event.cpuMs ?? 0));
    const limit = LIMIT_OF[outcome];
    if (limit) limitHits.inc({ component, limit });
  };
  const createStarted = new WeakMap<object, number>();
  const onCreateStart = (message: unknown) => createStarted.set(message as object, performance.now());
  const onCreateEnd = (message: unknown) => {
    const event = message as InstantiateEvent & { error?: unknown };
    const started = createStarted.get(event);
    if (started === undefined || event.error !== undefined) return;
    created.observe({ component: event.component }, seconds(performance.now() - started));
  };
  const onReset = (message: unknown) => {
    const event = message as ResetEvent;
    reset.observe([event.component], event, seconds(event.ms));
  };
  const onTrap = (message: unknown) => traps.inc({ component: (message as TrapEvent).component });
  const onOutboundEnd = (message: unknown) => {
    const event = message as OutboundEvent & { error?: unknown };
    const status = event.error === undefined && event.status !== undefined ? String(event.status) : 'error';
    outbound.inc({ component: event.component, status });
  };
  const onKeyValue = (message: unknown) => {
    const { component, store, operation } = message as KeyValueEvent;
    keyValue.inc({ component, store, operation });
  };

  requestFinished.subscribe(onRequest);
  instantiateTracing.start.subscribe(onCreateStart);
  instantiateTracing.asyncEnd.subscribe(onCreateEnd);
  instanceReset.subscribe(onReset);
  guestTrapped.subscribe(onTrap);
  outboundTracing.asyncEnd.subscribe(onOutboundEnd);
  keyValueTracing.start.subscribe(onKeyValue);

  return {
    registry,
    source: {
      name: 'metrics-json',
      collect: () => registry.getMetricsAsJSON(),
      merge: mergeMetrics,
    },
    attach(read) {
      stats = read;
      // Zero from the start, so that rate() and alerts see a series before its first event.
      for (const { component } of read()) {
        traps.inc({ component }, 0);
        for (const limit of ['timeout', 'cpu', 'concurrency', 'body']) limitHits.inc({ component, limit }, 0);
      }
    },
    stop() {
      requestFinished.unsubscribe(onRequest);
      instantiateTracing.start.unsubscribe(onCreateStart);
      instantiateTracing.asyncEnd.unsubscribe(onCreateEnd);
      instanceReset.unsubscribe(onReset);
      guestTrapped.unsubscribe(onTrap);
      outboundTracing.asyncEnd.unsubscribe(onOutboundEnd);
      keyValueTracing.start.unsubscribe(onKeyValue);
      stats = undefined;
    },
  };
}
