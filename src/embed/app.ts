/**
 * HTTP components inside a Node app: `loadApp(from)` loads a skiff.toml app (or one .wasm) and
 * answers Web `Request`s with Web `Response`s, through the same core as `skiff up` — routing,
 * limits, capabilities and lifecycles — with no socket of its own. Mount it in any server that
 * speaks fetch (Hono, a node:http adapter, a test).
 */
import type { BinderName } from '../engine/component.ts';
import { addGrants } from '../manifest/add-grants.ts';
import { type App, DEFAULT_FRESH, DEFAULT_REUSE } from '../manifest/app.ts';
import { appFromComponent, loadApp as loadManifest } from '../manifest/load.ts';
import { type FetchRequestInit, FetchResponse, hostRequestOf } from '../triggers/http/fetch-exchange.ts';
import { type HttpApp, loadHttpApp } from '../triggers/http/http-app.ts';
import { consoleLog, type HostLog } from '../triggers/http/log.ts';
import { type GrantOptions, grantsOf } from './grants.ts';
import { count, type Duration, durationMs, type Size, sizeBytes } from './limits.ts';

/** Grants (env, dirs, allowOutbound) are added to every component, over what its manifest grants. */
export interface AppOptions extends GrantOptions {
  /** For a `.wasm` given as `from`: the route it serves (default `/...`, every path). */
  route?: string;
  /** Wall-clock time per request (504 past it); default 30 s. Each overrides the manifest's. */
  timeout?: Duration;
  /** Guest CPU per request (503 past it); default 5 s. */
  maxCpu?: Duration;
  /** Per linear memory of an instance; default 128 MiB. */
  maxMemory?: Size;
  /** Requests one component handles at once, then 503. */
  maxConcurrent?: number;
  /** Largest request body, then 413. */
  maxBody?: Size;
  /** A new instance per request (`fresh`), or instances that serve many (`reuse`). */
  lifecycle?: 'fresh' | 'reuse';
  /** How long a guest computes before others run; `'off'` turns slicing off. Process-wide. */
  timeSlice?: Duration | 'off';
  /** A runtime-config file naming the key-value backends; SQLite in the app's `.skiff/` when absent. */
  runtimeConfig?: string;
  /** Where guest output and errors go; stdout and stderr when absent. */
  log?: HostLog;
  binder?: BinderName;
  cacheDir?: string;
}

export interface SkiffApp {
  readonly routes: ReadonlyArray<{ route: string; component: string }>;
  /**
   * Answers one request. `input` is a Request, or a URL (a path alone is taken relative to
   * `http://localhost`) with `init` as for the global fetch. Never rejects for a guest's failure:
   * that is a 500, 503 or 504 response, logged with the guest's backtrace.
   */
  fetch(input: Request | string | URL, init?: RequestInit & FetchRequestInit): Promise<Response>;
  /** Closes instance pools and key-value backends; requests after it are refused. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function appOf(from: string, options: AppOptions): Promise<App> | App {
  const grants = grantsOf(options);
  if (from.endsWith('.wasm'))
    return appFromComponent({ source: from, route: options.route, wording: 'api', ...grants });
  if (options.route !== undefined)
    throw new TypeError('route: goes with a .wasm; a manifest declares its routes as [[trigger.http]]');
  return loadManifest(from).then((app) => addGrants(app, grants));
}

function timeSliceMs(value: AppOptions['timeSlice']): number | undefined {
  return value === 'off' ? 0 : durationMs('timeSlice', value);
}

function requestOf(input: Request | string | URL, init: RequestInit | undefined): Request {
  if (input instanceof Request && init === undefined) return input;
  const url = typeof input === 'string' && input.startsWith('/') ? `http://localhost${input}` : input;
  return new Request(url, init);
}

/** Loads `from` — a skiff.toml, a folder holding one, or a component `.wasm` — ready to answer. */
export async function loadApp(from: string, options: AppOptions = {}): Promise<SkiffApp> {
  const { lifecycle } = options;
  if (lifecycle !== undefined && lifecycle !== 'fresh' && lifecycle !== 'reuse')
    throw new TypeError(`lifecycle: ${JSON.stringify(lifecycle)} is neither 'fresh' nor 'reuse'`);
  const app = await appOf(from, options);
  const core: HttpApp = await loadHttpApp(app, {
    log: options.log ?? consoleLog(),
    cacheDir: options.cacheDir,
    timeoutMs: durationMs('timeout', options.timeout),
    maxCpuMs: durationMs('maxCpu', options.maxCpu),
    maxMemoryBytes: sizeBytes('maxMemory', options.maxMemory),
    maxConcurrent: count('maxConcurrent', options.maxConcurrent),
    maxBodyBytes: sizeBytes('maxBody', options.maxBody),
    timeSliceMs: timeSliceMs(options.timeSlice),
    lifecycle: lifecycle && (lifecycle === 'reuse' ? DEFAULT_REUSE : DEFAULT_FRESH),
    runtimeConfig: options.runtimeConfig,
    binder: options.binder,
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= core.close();
    return closed;
  };
  return {
    routes: core.routes,
    async fetch(input, init) {
      if (closed) throw new Error('this Skiff app is closed; load it again to serve requests');
      const request = requestOf(input, init);
      const response = new FetchResponse(request.method);
      core.handle(hostRequestOf(request, { clientAddress: init?.clientAddress }), response);
      return response.response;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
