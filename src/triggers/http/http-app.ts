/**
 * The HTTP core: loads every routed component before the first request (so a bad component fails
 * at start, not on the first request), routes each request to its component under the limits, and
 * answers it. It knows no transport: `skiff up` feeds it node:http's requests (server.ts), embedders
 * feed it Web `Request`s (src/embed/app.ts); both get the same routing, limits and capabilities.
 */
import { AppRuntime } from '../../capabilities/app-runtime.ts';
import { checkImports } from '../../capabilities/provided.ts';
import { type BinderName, Component } from '../../engine/component.ts';
import { createInstancePool, type InstancePool } from '../../engine/instance-pool.ts';
import { interruptController } from '../../engine/interrupt/controller.ts';
import {
  type App,
  type ComponentSpec,
  DEFAULT_FRESH,
  DEFAULT_REUSE,
  httpRoutesOf,
  type LifecycleSpec,
} from '../../manifest/app.ts';
import { DEFAULT_INSTANCE_CONCURRENCY } from '../../manifest/validate-lifecycle.ts';
import {
  instanceReset,
  instantiateTracing,
  type RequestEvent,
  type RequestOutcome,
  requestFinished,
  requestTracing,
} from '../../observability/events.ts';
import { prepareGrants } from '../../wasi/imports.ts';
import type { HostRequest, HostResponse } from './exchange.ts';
import { handleRequest, type RequestContext } from './handle-request.ts';
import { handleRequestP3 } from './handle-request-p3.ts';
import { type HttpInstance, httpInstanceFactory, isHandlerP3 } from './http-instance.ts';
import type { HostLog } from './log.ts';
import { chainFactory, checkMiddleware, type Layer } from './middleware.ts';
import { requestTarget } from './request-target.ts';
import { HEALTH_ROUTE } from './route-pattern.ts';
import { RouteTable } from './router.ts';

/**
 * The host's settings. The per-component limits (timeoutMs, maxMemoryBytes, maxConcurrent), when
 * given, override what each component's manifest asks for; unset, the manifest's value or the
 * default applies.
 */
export interface HttpAppOptions {
  log: HostLog;
  cacheDir?: string;
  /** Wall-clock limit of each request (the guest is stopped, the client gets 504). */
  timeoutMs?: number | undefined;
  /** Guest CPU time of each request (the guest is stopped, the client gets 503). */
  maxCpuMs?: number | undefined;
  /** How long a guest computes before it yields to the other requests of its worker; 0 turns slicing off. */
  timeSliceMs?: number | undefined;
  /** Logs one line per request: component, method, target, status, wall and guest CPU time. */
  logRequests?: boolean | undefined;
  /** Caps each linear memory of every instance. */
  maxMemoryBytes?: number | undefined;
  /** Requests one component may handle at once (per worker); more get 503 with Retry-After. */
  maxConcurrent?: number | undefined;
  /** Requests the whole server may handle at once (per worker), all components together. */
  hostMaxConcurrent?: number | undefined;
  /** Largest request body accepted (413 when the declared length is larger; the stream fails past it). */
  maxBodyBytes?: number | undefined;
  /** Skiff's binder unless `jco` is asked for (`skiff up --binder jco`). */
  binder?: BinderName | undefined;
  /** Where capabilities find their backends (`--runtime-config`); the embedded defaults when absent. */
  runtimeConfig?: string | undefined;
  /** Overrides every component's manifest lifecycle (`skiff up --lifecycle`). */
  lifecycle?: LifecycleSpec | undefined;
}

/** Per request: long enough for any interactive handler, short enough that a stuck one is noticed. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * Guest CPU per request: hundreds of times what a web handler needs, yet a request that computes
 * without end costs a sixth of what the 30 s timeout alone would let it burn.
 */
export const DEFAULT_MAX_CPU_MS = 5_000;
/** Per linear memory of each instance: generous for real handlers, fatal to a memory bomb. */
export const DEFAULT_MAX_MEMORY = 128 * 2 ** 20;
/** Requests per component and worker before 503: far above what one worker serves well, but bounded. */
export const DEFAULT_MAX_CONCURRENT = 2048;
/** Requests per worker before 503, whichever components they are for. */
export const DEFAULT_HOST_MAX_CONCURRENT = 4096;
/** Request bodies stream, so this bounds work rather than memory. */
export const DEFAULT_MAX_BODY = 1024 * 2 ** 20;
export interface HttpApp {
  routes: Array<{ route: string; component: string }>;
  /** Answers one request; never throws (a failure is the response's status). */
  handle(req: HostRequest, res: HostResponse): void;
  /**
   * Loads component `id` again (after a rebuild) and swaps it in for every route that uses it,
   * directly or as middleware. Requests in flight finish on the old instances; if loading fails,
   * the old version keeps serving and the error is thrown.
   */
  reload(id: string): Promise<void>;
  /** Closes the instance pools and the capabilities' backends; call once no request is in flight. */
  close(): Promise<void>;
  /** Each routed component right now, with its effective settings (for metrics and the admin listener). */
  stats(): ComponentStats[];
}

export interface ComponentStats {
  component: string;
  /** Requests being handled (each holds an instance, or a share of a WASI 0.3 one). */
  inFlight: number;
  /** Instances ready in the pool. */
  idle: number;
  lifecycle: 'fresh' | 'reuse';
  limits: { timeoutMs: number; maxCpuMs: number; maxMemoryBytes: number; maxConcurrent: number };
}

/** A routed component, loaded, with its pool and its effective limits. */
interface ServedComponent {
  spec: ComponentSpec;
  /** The request path of the WASI version the component's handler speaks. */
  handle: typeof handleRequest;
  pool: InstancePool<HttpInstance>;
  timeoutMs: number;
  maxCpuMs: number;
  maxConcurrent: number;
  inFlight: number;
}

async function serveComponent(
  spec: ComponentSpec,
  components: App['components'],
  options: HttpAppOptions,
  capabilities: AppRuntime,
): Promise<ServedComponent> {
  const { id } = spec;
  const load = async (of: ComponentSpec): Promise<Layer> => {
    const component = await Component.load(of.source, {
      id: of.id,
      cacheDir: options.cacheDir,
      maxMemoryBytes: options.maxMemoryBytes ?? of.limits?.maxMemoryBytes ?? DEFAULT_MAX_MEMORY,
      binder: options.binder,
    });
    return { id: of.id, component, exportName: component.requireEntry('http') };
  };
  const app = await load(spec);
  const { component, exportName } = app;
  // The manifest check made sure every middleware id is a declared component.
  const middleware = await Promise.all(
    (spec.middleware ?? []).map((mw) => load(components.get(mw) as ComponentSpec)),
  );
  checkMiddleware(app, middleware);
  const instancesOf = (layer: Layer) => {
    const of = components.get(layer.id) ?? spec;
    checkImports(layer.id, layer.component);
    return httpInstanceFactory(
      layer.id,
      layer.component,
      layer.exportName,
      prepareGrants(layer.id, of, capabilities.prepare(of)),
      options.log,
    );
  };
  const factory = observedFactory(
    id,
    chainFactory(
      instancesOf(app),
      middleware.map((layer) => instancesOf(layer)),
    ),
  );
  const p3 = isHandlerP3(exportName);
  // WASI 0.3 handlers run requests as async tasks: reused, several at once, as Spin 4 does.
  let lifecycle: LifecycleSpec = options.lifecycle ?? spec.lifecycle ?? (p3 ? DEFAULT_REUSE : DEFAULT_FRESH);
  if (lifecycle.mode === 'reuse' && component.answersOncePerInstance) {
    options.log.warn(
      `[${id}] is a componentize-js guest, which can answer only one request per instance; serving it with lifecycle "fresh" instead of "reuse"`,
    );
    lifecycle = DEFAULT_FRESH;
  }
  // A WASI 0.2 instance is not re-entrant: it serves one request at a time whatever was asked.
  const asked = lifecycle.mode === 'reuse' ? lifecycle.concurrency : undefined;
  if (!p3 && asked !== undefined && asked > 1)
    options.log.warn(
      `[${id}] is a WASI 0.2 handler, whose instances serve one request at a time; instance_concurrency = ${asked} applies to WASI 0.3 handlers only`,
    );
  const concurrency = p3 ? (asked ?? DEFAULT_INSTANCE_CONCURRENCY) : 1;
  const onError = (e: unknown) => options.log.trap(id, 0, 'pre-warming an instance', e);
  return {
    spec,
    handle: p3 ? handleRequestP3 : handleRequest,
    pool: createInstancePool(factory, lifecycle, onError, concurrency),
    timeoutMs: options.timeoutMs ?? spec.limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxCpuMs: options.maxCpuMs ?? spec.limits?.maxCpuMs ?? DEFAULT_MAX_CPU_MS,
    maxConcurrent: options.maxConcurrent ?? spec.limits?.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
    inFlight: 0,
  };
}

/** Instances whose making and resetting observers can time (events.ts); untouched when none listens. */
function observedFactory(
  component: string,
  factory: () => Promise<HttpInstance>,
): () => Promise<HttpInstance> {
  return async () => {
    const instance = instantiateTracing.hasSubscribers
      ? await instantiateTracing.tracePromise(factory, { component })
      : await factory();
    const reset = instance.reset?.bind(instance);
    if (reset)
      instance.reset = () => {
        if (!instanceReset.hasSubscribers) return reset();
        const started = performance.now();
        const ok = reset();
        instanceReset.publish({ component, ms: performance.now() - started, ok });
        return ok;
      };
    return instance;
  };
}

export async function loadHttpApp(app: App, options: HttpAppOptions): Promise<HttpApp> {
  const interrupts = interruptController();
  if (options.timeSliceMs !== undefined) interrupts.setQuantum(options.timeSliceMs);
  // Started now, loading while the components load; awaited before the first request.
  const watching = interrupts.startWatchdog();
  const table = RouteTable.fromSpecs(httpRoutesOf(app));
  const capabilities = await AppRuntime.start(app, options.runtimeConfig);
  const served = new Map<string, ServedComponent>();
  try {
    for (const { component: id } of table.routes()) {
      if (served.has(id)) continue;
      const spec = app.components.get(id);
      if (!spec) throw new Error(`route refers to unknown component "${id}"`);
      served.set(id, await serveComponent(spec, app.components, options, capabilities));
    }
  } catch (e) {
    for (const { pool } of served.values()) pool.close();
    await capabilities.close();
    throw e;
  }

  let nextRequestId = 1;
  const hostMaxConcurrent = options.hostMaxConcurrent ?? DEFAULT_HOST_MAX_CONCURRENT;
  let hostInFlight = 0;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  /** What observers are told of a request (events.ts); undefined, and not built, when none listens. */
  const observe = (req: HostRequest, started: number): RequestEvent | undefined =>
    requestFinished.hasSubscribers || requestTracing.hasSubscribers
      ? {
          id: 0,
          app: app.name,
          method: req.method ?? 'GET',
          target: req.url ?? '/',
          headers: req.headers,
          startedAt: started,
        }
      : undefined;
  const finish = (
    event: RequestEvent | undefined,
    res: HostResponse,
    outcome: RequestOutcome,
    cpuMs = 0,
  ): void => {
    if (!event) return;
    event.status = res.statusCode;
    event.outcome = outcome;
    event.wallMs = performance.now() - event.startedAt;
    event.cpuMs = cpuMs;
    requestFinished.publish(event);
  };
  /** An answer the host gives without a guest: malformed, unrouted, too large, or shed. */
  const answer = (
    event: RequestEvent | undefined,
    res: HostResponse,
    outcome: RequestOutcome,
    status: number,
    text: string,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(text);
    finish(event, res, outcome);
  };

  const handle = (req: HostRequest, res: HostResponse): void => {
    const started = performance.now();
    const event = observe(req, started);
    const requested = requestTarget(req);
    if ('problem' in requested) {
      answer(event, res, 'bad-request', 400, `Bad Request: ${requested.problem}\n`, { connection: 'close' });
      return;
    }
    const { path } = requested;
    if (path === HEALTH_ROUTE) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      finish(event, res, 'health');
      return;
    }
    const match = table.match(path);
    const target = match && served.get(match.component);
    if (!match || !target) {
      answer(event, res, 'not-found', 404, `Not Found: no route matches ${path}\n`);
      return;
    }
    if (event) {
      event.route = match.route;
      event.component = match.component;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      const text = `Content Too Large: the request body may be at most ${maxBodyBytes} bytes\n`;
      answer(event, res, 'body-limit', 413, text, { connection: 'close' });
      return;
    }
    // Shed load instead of queuing without bound; the client may retry shortly.
    const { spec } = target;
    if (target.inFlight >= target.maxConcurrent || hostInFlight >= hostMaxConcurrent) {
      const why =
        target.inFlight >= target.maxConcurrent
          ? `component "${spec.id}" is handling ${target.inFlight} requests, its limit`
          : `the server is handling ${hostInFlight} requests, its limit`;
      answer(event, res, 'concurrency-limit', 503, `Service Unavailable: ${why}\n`, { 'retry-after': '1' });
      return;
    }
    target.inFlight++;
    hostInFlight++;
    const ctx: RequestContext = {
      id: nextRequestId++,
      spec,
      match,
      target: requested,
      log: options.log,
      pool: target.pool,
      maxBodyBytes,
      timeoutMs: target.timeoutMs,
      maxCpuMs: target.maxCpuMs,
      cpuMs: 0,
      outcome: 'ok',
      computing: () => false,
    };
    if (event) event.id = ctx.id;
    const handling = event
      ? requestTracing.tracePromise(() => target.handle(ctx, req, res), event)
      : target.handle(ctx, req, res);
    handling
      .catch((e: unknown) => {
        options.log.error(`request ${ctx.id}: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
        ctx.outcome = 'trap';
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      })
      .finally(() => {
        target.inFlight--;
        hostInFlight--;
        finish(event, res, ctx.outcome, ctx.cpuMs);
        if (options.logRequests) {
          const wall = (performance.now() - started).toFixed(1);
          options.log.info(
            `[${spec.id}] request ${ctx.id} ${req.method} ${requested.pathWithQuery} ${res.statusCode} wall ${wall} ms cpu ${ctx.cpuMs.toFixed(1)} ms`,
          );
        }
      });
  };

  // Ready before the first request, so that one is sliced from its start too.
  await watching;
  const reload = async (id: string): Promise<void> => {
    const affected = [...served.values()].filter(
      ({ spec }) => spec.id === id || (spec.middleware ?? []).includes(id),
    );
    if (affected.length === 0) throw new Error(`no route serves component "${id}"`);
    // All or nothing: every affected route swaps only once each has loaded.
    const loaded = await Promise.all(
      affected.map(({ spec }) => serveComponent(spec, app.components, options, capabilities)),
    );
    for (const [i, next] of loaded.entries()) {
      const old = affected[i] as ServedComponent;
      served.set(next.spec.id, next);
      // The old pool lets its leases finish, then disposes of their instances.
      old.pool.close();
    }
  };

  return {
    routes: table.routes(),
    handle,
    reload,
    stats: () =>
      [...served.values()].map(({ spec, inFlight, pool, timeoutMs, maxCpuMs, maxConcurrent }) => ({
        component: spec.id,
        inFlight,
        idle: pool.idle,
        lifecycle: pool.resets ? 'fresh' : 'reuse',
        limits: {
          timeoutMs,
          maxCpuMs,
          maxMemoryBytes: options.maxMemoryBytes ?? spec.limits?.maxMemoryBytes ?? DEFAULT_MAX_MEMORY,
          maxConcurrent,
        },
      })),
    close: async () => {
      for (const { pool } of served.values()) pool.close();
      await capabilities.close();
    },
  };
}
