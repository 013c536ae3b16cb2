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
import { prepareGrants } from '../../wasi/imports.ts';
import type { HostRequest, HostResponse } from './exchange.ts';
import { handleRequest } from './handle-request.ts';
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
  /** Closes the instance pools and the capabilities' backends; call once no request is in flight. */
  close(): Promise<void>;
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
  const factory = chainFactory(
    instancesOf(app),
    middleware.map((layer) => instancesOf(layer)),
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

function unavailable(res: HostResponse, why: string): void {
  res
    .writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' })
    .end(`Service Unavailable: ${why}\n`);
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
  const handle = (req: HostRequest, res: HostResponse): void => {
    const requested = requestTarget(req);
    if ('problem' in requested) {
      res
        .writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
        .end(`Bad Request: ${requested.problem}\n`);
      return;
    }
    const { path } = requested;
    if (path === HEALTH_ROUTE) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const match = table.match(path);
    const target = match && served.get(match.component);
    if (!match || !target) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`Not Found: no route matches ${path}\n`);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      res
        .writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
        .end(`Content Too Large: the request body may be at most ${maxBodyBytes} bytes\n`);
      return;
    }
    // Shed load instead of queuing without bound; the client may retry shortly.
    const { spec } = target;
    if (target.inFlight >= target.maxConcurrent) {
      unavailable(res, `component "${spec.id}" is handling ${target.inFlight} requests, its limit`);
      return;
    }
    if (hostInFlight >= hostMaxConcurrent) {
      unavailable(res, `the server is handling ${hostInFlight} requests, its limit`);
      return;
    }
    target.inFlight++;
    hostInFlight++;
    const ctx = {
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
      computing: () => false,
    };
    const started = performance.now();
    target
      .handle(ctx, req, res)
      .catch((e: unknown) => {
        options.log.error(`request ${ctx.id}: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      })
      .finally(() => {
        target.inFlight--;
        hostInFlight--;
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
  return {
    routes: table.routes(),
    handle,
    close: async () => {
      for (const { pool } of served.values()) pool.close();
      await capabilities.close();
    },
  };
}
