/**
 * OpenTelemetry traces of the requests, built from the core's diagnostics channels (events.ts): a
 * SERVER span per request (`GET /api/...`), with children for the instantiation a request waited
 * for, the guest call, and under it the guest's outbound requests (CLIENT, whose `traceparent`
 * the outbound request carries) and key-value operations. An incoming W3C `traceparent` /
 * `tracestate` is the SERVER span's parent.
 *
 * Which request a host call belongs to comes from an AsyncLocalStorage bound to the request's
 * tracing channel (`bindStore`): V8 carries it through JSPI, so a guest resumed after a suspension
 * still runs in its request's context, and host imports it calls see it (measured: every key-value
 * operation, outbound request and guest line of 200 concurrent requests to Rust and
 * componentize-js guests saw its own request, none another's).
 *
 * Started only when an OTLP endpoint is set (OTEL_* variables, otel-config.ts) or the admin
 * listener wants recent traces; otherwise nothing subscribes and the core builds no event.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import {
  type GuestCallEvent,
  guestCallTracing,
  type InstantiateEvent,
  instantiateTracing,
  type KeyValueEvent,
  keyValueTracing,
  type OutboundEvent,
  outboundTracing,
  type RequestEvent,
  requestFinished,
  requestTracing,
} from './events.ts';
import { otelConfig } from './otel-config.ts';
import { RateLimitedSampler } from './rate-sampler.ts';
import { RecentTraces } from './recent-traces.ts';

/**
 * Skiff's own span attributes. Every span starts at `performance.now()`, not the SDK's default of
 * `Date.now()`, whose whole milliseconds would misplace a child against its parent.
 */
export const ATTR_SKIFF_APP = 'skiff.app';
export const ATTR_SKIFF_COMPONENT = 'skiff.component';
export const ATTR_SKIFF_REQUEST_ID = 'skiff.request_id';
export const ATTR_SKIFF_OUTCOME = 'skiff.outcome';
export const ATTR_SKIFF_GUEST_CPU_MS = 'skiff.guest.cpu_ms';
export const ATTR_SKIFF_KEY_VALUE_STORE = 'skiff.key_value.store';

/**
 * With no OTLP endpoint, traces are kept only for the dashboard, which shows the last 100: new
 * traces at most this often per worker (a caller's sampled traceparent is always followed).
 */
export const RECENT_TRACES_PER_SECOND = 10;

export interface TracingOptions {
  /** The app's name: the service's name unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names one. */
  app: string;
  /** Keep the last traces for the admin listener, even with no OTLP endpoint. */
  keepRecent: boolean;
  warn: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface Tracing {
  /** Set when asked to keep recent traces. */
  recent: RecentTraces | undefined;
  /** Unsubscribes, then exports what is left; call before the process exits. */
  shutdown(): Promise<void>;
}

/** Where a host call is, as the AsyncLocalStorage carries it. */
interface Scope {
  /** The OpenTelemetry context whose span is the parent of spans started here. */
  context: Context;
  request: RequestSpan;
}

interface RequestSpan {
  /** Undefined when the request was left out of the dashboard's sample before a span was made. */
  span: Span | undefined;
  context: Context;
  /**
   * Sampled: only then are attributes and child spans made. An unsampled request still passes
   * its trace context on to the outbound requests it makes.
   */
  recording: boolean;
  /** Its guest call started: instantiations ending later were for other requests (pool refills). */
  guestStarted: boolean;
}

/** The incoming trace context asks for the trace to be recorded. */
function isSampled(context: Context): boolean {
  const parent = trace.getSpanContext(context);
  return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** A channel message as tracePromise leaves it: `error` set when the traced call failed. */
type Traced<T> = T & { error?: unknown };

/** What an error is, for `error.type`: its code when it has one, else its class. */
function errorType(error: unknown): string {
  const { errorCode, code, name } = (error ?? {}) as {
    errorCode?: { tag?: string };
    code?: unknown;
    name?: unknown;
  };
  if (errorCode?.tag) return errorCode.tag;
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'Error';
}

function failed(span: Span, error: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** Warns once each time exporting starts failing (a collector that is down), not once per batch. */
function warningExporter(inner: SpanExporter, warn: (message: string) => void): SpanExporter {
  let failing = false;
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        if (result.code === ExportResultCode.FAILED && !failing)
          warn(
            `traces could not be exported over OTLP (${result.error?.message ?? 'unknown error'}); check OTEL_EXPORTER_OTLP_ENDPOINT and that the collector is up`,
          );
        failing = result.code === ExportResultCode.FAILED;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

/** Starts tracing if an OTLP endpoint is set or recent traces are wanted; otherwise undefined. */
export function startTracing(options: TracingOptions): Tracing | undefined {
  const env = options.env ?? process.env;
  const config = otelConfig(env);
  for (const warning of config.warnings) options.warn(warning);
  if (!config.exporting && !options.keepRecent) return undefined;

  const processors: SpanProcessor[] = [];
  if (config.exporting)
    processors.push(
      new BatchSpanProcessor({
        exporter: warningExporter(new OTLPTraceExporter({ url: config.tracesUrl }), options.warn),
        ...config.batch,
      }),
    );
  const recent = options.keepRecent ? new RecentTraces() : undefined;
  if (recent) processors.push(recent);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.app }))
    .merge(detectResources({ detectors: [envDetector] }));
  // Kept only for the dashboard: most requests are left out before any span is made (below).
  const limiter = config.exporting ? undefined : new RateLimitedSampler(RECENT_TRACES_PER_SECOND);
  const sampler = config.exporting ? config.sampler : new ParentBasedSampler({ root: new AlwaysOnSampler() });
  const provider = new TracerProvider({ resource, sampler, spanProcessors: processors });
  const tracer = provider.getTracer('skiff');
  const propagator = new W3CTraceContextPropagator();
  const store = new AsyncLocalStorage<Scope | undefined>();

  const requests = new WeakMap<RequestEvent, RequestSpan>();
  const beginRequest = (event: RequestEvent): RequestSpan => {
    const parent =
      event.headers.traceparent === undefined
        ? ROOT_CONTEXT
        : propagator.extract(ROOT_CONTEXT, event.headers, defaultTextMapGetter);
    if (limiter && !isSampled(parent) && !limiter.take()) {
      // No span at all (no ids, no SDK work); an incoming trace context still goes on outbound.
      const request = { span: undefined, context: parent, recording: false, guestStarted: false };
      requests.set(event, request);
      return request;
    }
    const name = event.route === undefined ? event.method : `${event.method} ${event.route}`;
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: event.startedAt }, parent);
    const request = {
      span,
      context: trace.setSpan(parent, span),
      recording: span.isRecording(),
      guestStarted: false,
    };
    requests.set(event, request);
    if (!request.recording) return request;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: event.method,
      // The path only: a query string may carry what is not ours to keep (tokens, personal data).
      [ATTR_URL_PATH]: event.target.split('?', 1)[0],
      [ATTR_URL_SCHEME]: 'http',
      [ATTR_SKIFF_APP]: event.app,
    };
    // Requests answered before routing have no id.
    if (event.id > 0) attributes[ATTR_SKIFF_REQUEST_ID] = event.id;
    const agent = event.headers['user-agent'];
    if (typeof agent === 'string') attributes[ATTR_USER_AGENT_ORIGINAL] = agent;
    if (event.route !== undefined) attributes[ATTR_HTTP_ROUTE] = event.route;
    if (event.component !== undefined) attributes[ATTR_SKIFF_COMPONENT] = event.component;
    span.setAttributes(attributes);
    // The recent-requests table links a request to its trace.
    (event as RequestEvent & { traceId?: string }).traceId = span.spanContext().traceId;
    return request;
  };
  const onRequestStart = (message: unknown): Scope => {
    const request = beginRequest(message as RequestEvent);
    return { context: request.context, request };
  };
  const onRequestFinished = (message: unknown) => {
    const event = message as RequestEvent;
    if (event.outcome === 'health') return;
    // Answered before routing (400, 404, 413, 503): a span of its own, from when it arrived.
    const { span, recording } = requests.get(event) ?? beginRequest(event);
    requests.delete(event);
    if (!recording || !span) {
      span?.end();
      return;
    }
    const status = event.status ?? 0;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    span.setAttribute(ATTR_SKIFF_OUTCOME, event.outcome ?? 'ok');
    if (event.component !== undefined && event.cpuMs !== undefined)
      span.setAttribute(ATTR_SKIFF_GUEST_CPU_MS, Math.round(event.cpuMs * 1000) / 1000);
    // A server's span fails on 5xx only: a 4xx is the client's mistake (OpenTelemetry's HTTP conventions).
    if (status >= 500) {
      span.setAttribute(
        ATTR_ERROR_TYPE,
        event.outcome && event.outcome !== 'ok' ? event.outcome : String(status),
      );
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(event.startedAt + (event.wallMs ?? 0));
  };

  /** Spans of one traced channel's calls, by message; ended at asyncEnd (or at a synchronous throw). */
  const open = new WeakMap<object, Span>();
  const endOpen = (message: unknown, then?: (span: Span, message: Traced<object>) => void) => {
    const span = open.get(message as object);
    if (!span) return;
    open.delete(message as object);
    const traced = message as Traced<object>;
    then?.(span, traced);
    if (traced.error !== undefined) failed(span, traced.error);
    span.end();
  };
  /** `end` comes right after the call returned its promise; with `error` already set only when it threw first. */
  const onSyncEnd = (message: unknown) => {
    if ((message as Traced<object>).error !== undefined) endOpen(message);
  };

  const onGuestStart = (message: unknown): Scope | undefined => {
    const scope = store.getStore();
    if (!scope) return undefined;
    const event = message as GuestCallEvent;
    scope.request.guestStarted = true;
    if (!scope.request.recording) return scope;
    const span = tracer.startSpan(
      `guest call ${event.component}`,
      {
        startTime: performance.now(),
        attributes: { [ATTR_SKIFF_COMPONENT]: event.component, [ATTR_SKIFF_REQUEST_ID]: event.requestId },
      },
      scope.context,
    );
    open.set(event, span);
    return { context: trace.setSpan(scope.context, span), request: scope.request };
  };
  const onGuestEnd = (message: unknown) => endOpen(message);

  /** Instantiations started in a request, and when: kept only if the request waited for them. */
  const instantiating = new WeakMap<object, { scope: Scope; startedAt: number }>();
  const onInstantiateStart = (message: unknown) => {
    const scope = store.getStore();
    if (scope?.request.recording && !scope.request.guestStarted)
      instantiating.set(message as object, { scope, startedAt: performance.now() });
  };
  const onInstantiateEnd = (message: unknown) => {
    const started = instantiating.get(message as object);
    if (!started) return;
    instantiating.delete(message as object);
    const { scope, startedAt } = started;
    if (scope.request.guestStarted) return;
    const event = message as Traced<InstantiateEvent>;
    const span = tracer.startSpan(
      `instantiate ${event.component}`,
      { startTime: startedAt, attributes: { [ATTR_SKIFF_COMPONENT]: event.component } },
      scope.context,
    );
    if (event.error !== undefined) failed(span, event.error);
    span.end();
  };
  const onInstantiateSyncEnd = (message: unknown) => {
    if ((message as Traced<object>).error !== undefined) onInstantiateEnd(message);
  };

  const onKeyValueStart = (message: unknown) => {
    const scope = store.getStore();
    if (scope && !scope.request.recording) return;
    const event = message as KeyValueEvent;
    const span = tracer.startSpan(
      `key-value ${event.operation}`,
      {
        kind: SpanKind.CLIENT,
        startTime: performance.now(),
        attributes: {
          [ATTR_DB_OPERATION_NAME]: event.operation,
          [ATTR_DB_NAMESPACE]: event.store,
          [ATTR_SKIFF_KEY_VALUE_STORE]: event.store,
          [ATTR_SKIFF_COMPONENT]: event.component,
        },
      },
      scope?.context ?? ROOT_CONTEXT,
    );
    open.set(event, span);
  };
  const onKeyValueEnd = (message: unknown) => endOpen(message);

  const onOutboundStart = (message: unknown) => {
    const scope = store.getStore();
    const event = message as OutboundEvent;
    if (scope && !scope.request.recording) {
      // Unsampled: the request's own context goes on, so the next service keeps the trace id.
      propagator.inject(scope.context, event.headers, defaultTextMapSetter);
      return;
    }
    let url: URL | undefined;
    try {
      url = new URL(event.url);
    } catch {
      url = undefined;
    }
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: event.method,
      [ATTR_SKIFF_COMPONENT]: event.component,
    };
    if (url) {
      // Without the query, as for the SERVER span.
      attributes[ATTR_URL_FULL] = `${url.origin}${url.pathname}`;
      attributes[ATTR_SERVER_ADDRESS] = url.hostname;
      attributes[ATTR_SERVER_PORT] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    }
    const parent = scope?.context ?? ROOT_CONTEXT;
    const span = tracer.startSpan(
      url ? `${event.method} ${url.origin}` : event.method,
      { kind: SpanKind.CLIENT, startTime: performance.now(), attributes },
      parent,
    );
    open.set(event, span);
    // The request goes out with this span as its parent (outgoing-handler.ts merges the headers in).
    propagator.inject(trace.setSpan(parent, span), event.headers, defaultTextMapSetter);
  };
  const onOutboundEnd = (message: unknown) =>
    endOpen(message, (span, event) => {
      const { status } = event as OutboundEvent;
      if (status === undefined) return;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      // A client's span fails on 4xx too (OpenTelemetry's HTTP conventions).
      if (status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    });

  requestTracing.start.bindStore(store, onRequestStart);
  requestFinished.subscribe(onRequestFinished);
  guestCallTracing.start.bindStore(store, onGuestStart);
  guestCallTracing.asyncEnd.subscribe(onGuestEnd);
  guestCallTracing.end.subscribe(onSyncEnd);
  instantiateTracing.start.subscribe(onInstantiateStart);
  instantiateTracing.asyncEnd.subscribe(onInstantiateEnd);
  instantiateTracing.end.subscribe(onInstantiateSyncEnd);
  keyValueTracing.start.subscribe(onKeyValueStart);
  keyValueTracing.asyncEnd.subscribe(onKeyValueEnd);
  keyValueTracing.end.subscribe(onSyncEnd);
  outboundTracing.start.subscribe(onOutboundStart);
  outboundTracing.asyncEnd.subscribe(onOutboundEnd);
  outboundTracing.end.subscribe(onSyncEnd);

  let stopped: Promise<void> | undefined;
  return {
    recent,
    shutdown() {
      stopped ??= (async () => {
        requestTracing.start.unbindStore(store);
        requestFinished.unsubscribe(onRequestFinished);
        guestCallTracing.start.unbindStore(store);
        guestCallTracing.asyncEnd.unsubscribe(onGuestEnd);
        guestCallTracing.end.unsubscribe(onSyncEnd);
        instantiateTracing.start.unsubscribe(onInstantiateStart);
        instantiateTracing.asyncEnd.unsubscribe(onInstantiateEnd);
        instantiateTracing.end.unsubscribe(onInstantiateSyncEnd);
        keyValueTracing.start.unsubscribe(onKeyValueStart);
        keyValueTracing.asyncEnd.unsubscribe(onKeyValueEnd);
        keyValueTracing.end.unsubscribe(onSyncEnd);
        outboundTracing.start.unsubscribe(onOutboundStart);
        outboundTracing.asyncEnd.unsubscribe(onOutboundEnd);
        outboundTracing.end.unsubscribe(onSyncEnd);
        // A collector that is down fails the last export: say so, and stop anyway.
        await provider
          .shutdown()
          .catch((e: unknown) =>
            options.warn(
              `the last traces could not be exported: ${e instanceof Error ? e.message : String(e)}`,
            ),
          );
      })();
      return stopped;
    },
  };
}
