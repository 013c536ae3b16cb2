/**
 * The admin listener: Prometheus metrics, the dashboard and its JSON API, on an address of its own
 * (never the apps' port). It runs in the primary (or the single process) and answers from the
 * workers' admin sources (sources.ts). It only reads: no route changes a running app.
 *
 * Other parts add their routes with addAdminRoute (logs, traces, profiles). Without a token the
 * listener is on loopback (listen-options.ts) and answers only requests addressed to a loopback
 * name, so a web page cannot reach it through DNS rebinding; with a token every API request must
 * carry it. The dashboard's files hold no data and load without it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { VERSION } from '../cli/help.ts';
import { METRICS_CONTENT_TYPE, metricsText } from '../observability/metrics.ts';
import { ListenError } from '../triggers/http/server.ts';
import { type AdminListen, isLoopbackHost } from './listen-options.ts';
import { mergeOverview } from './overview.ts';
import {
  AdminSourceError,
  COLLECT_TIMEOUT_MS,
  collectFromClusterWorkers,
  collectFromWorkers,
  collectParts,
  UnknownAdminSourceError,
} from './sources.ts';
import { serveDashboard } from './static.ts';
import { registerPrimaryMerges } from './telemetry.ts';

export type AdminRouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** A request's answer: an error status with a message the client sees. */
export class AdminHttpError extends Error {
  override name = 'AdminHttpError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Routes added by other parts of Skiff: path → method → handler. */
const addedRoutes = new Map<string, Map<string, AdminRouteHandler>>();

/** Adds a route to every admin listener of this process; returns a function that removes it. */
export function addAdminRoute(method: string, path: string, handler: AdminRouteHandler): () => void {
  const upper = method.toUpperCase();
  const methods = addedRoutes.get(path) ?? new Map<string, AdminRouteHandler>();
  if (methods.has(upper)) throw new Error(`the admin route ${upper} ${path} is already taken`);
  methods.set(upper, handler);
  addedRoutes.set(path, methods);
  return () => {
    if (methods.get(upper) === handler) methods.delete(upper);
    if (methods.size === 0 && addedRoutes.get(path) === methods) addedRoutes.delete(path);
  };
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...SECURITY_HEADERS,
  });
  res.end(text);
}

/** A GET route answering source `name` merged over the workers, with the request's query. */
export function adminSourceRoute(name: string): AdminRouteHandler {
  return async (_req, res, url) => {
    sendJson(res, await collectFromWorkers(name, Object.fromEntries(url.searchParams)));
  };
}

export interface AdminServerOptions extends AdminListen {
  /** Worker processes serving the app (shown in the overview). */
  workers: number;
  /** In the primary of a cluster: answers come from the workers over IPC, not from this process. */
  askWorkers: boolean;
}

export interface RunningAdminServer {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  /** What `skiff up` prints after its Serving block: the Admin line, and whether it needs a token. */
  announcement: string;
  close(): Promise<void>;
}

/** The built-in routes, answered from the workers' sources. */
function builtInRoutes(options: AdminServerOptions): Map<string, Map<string, AdminRouteHandler>> {
  const startedAt = new Date().toISOString();
  const get = (handler: AdminRouteHandler) => new Map([['GET', handler]]);
  return new Map([
    [
      '/metrics',
      get(async (_req, res) => {
        const text = await metricsText(await collectParts('metrics-json'));
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, ...SECURITY_HEADERS });
        res.end(text);
      }),
    ],
    [
      '/api/overview',
      get(async (_req, res) => {
        const merged = mergeOverview(await collectParts('overview'));
        if (!merged)
          throw new AdminHttpError(503, `no worker answered within ${COLLECT_TIMEOUT_MS} ms; try again`);
        const { app, routes, components } = merged;
        sendJson(res, {
          app,
          version: VERSION,
          pid: process.pid,
          startedAt,
          workers: options.workers,
          routes,
          components,
        });
      }),
    ],
    ['/api/stats', get(adminSourceRoute('stats'))],
    ['/api/requests', get(adminSourceRoute('requests'))],
    ['/api/logs', get(adminSourceRoute('logs'))],
    ['/api/traces', get(adminSourceRoute('traces'))],
  ]);
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** True when the request carries the token (compared in constant time). */
function hasToken(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1] as string), digest(token));
}

/** The host name a request was addressed to, without port or brackets. */
function addressedHost(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  return (/^\[([^\]]*)\]/.exec(host)?.[1] ?? host.replace(/:\d*$/, '')).toLowerCase();
}

/** True when `origin` (a header value, possibly "null") is the listener's own. */
function sameOrigin(origin: string, req: IncomingMessage): boolean {
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
  const builtIn = builtInRoutes(options);
  const listRoutes = () => [...new Set([...builtIn.keys(), ...addedRoutes.keys()])].sort().join(', ');

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!options.token && !isLoopbackHost(addressedHost(req))) {
      sendText(
        res,
        403,
        `This admin listener answers only requests addressed to a loopback name (127.0.0.1 or localhost), not Host: ${req.headers.host ?? '(none)'}`,
      );
      return;
    }
    if (serveDashboard(req, res)) return;
    if (options.token && !hasToken(req, options.token)) {
      sendText(
        res,
        401,
        'This admin listener needs its token: send Authorization: Bearer TOKEN, with the token skiff up was given (--admin-token or SKIFF_ADMIN_TOKEN)',
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const methods = builtIn.get(url.pathname) ?? addedRoutes.get(url.pathname);
    if (!methods) {
      sendText(
        res,
        404,
        `No admin route ${url.pathname}; there are: ${listRoutes()}, and the dashboard at /`,
      );
      return;
    }
    const method = req.method ?? 'GET';
    const handler = methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
    if (!handler) {
      const allowed = [...methods.keys()].join(', ');
      sendText(res, 405, `${url.pathname} answers ${allowed}, not ${method}`, { allow: allowed });
      return;
    }
    // A web page may send a POST to loopback without asking (no CORS preflight): refuse other origins.
    const origin = req.headers.origin;
    if (method !== 'GET' && method !== 'HEAD' && origin !== undefined && !sameOrigin(origin, req)) {
      sendText(res, 403, `${method} ${url.pathname} is refused from another origin (${origin})`);
      return;
    }
    await handler(req, res, url);
  };

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    route(req, res).catch((e: unknown) => {
      const status =
        e instanceof AdminHttpError ? e.status : e instanceof UnknownAdminSourceError ? 404 : 500;
      const message =
        e instanceof AdminHttpError || e instanceof UnknownAdminSourceError || e instanceof AdminSourceError
          ? e.message
          : `the admin listener failed: ${e instanceof Error ? e.message : String(e)}`;
      if (!res.headersSent) sendText(res, status, message);
      else res.destroy();
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const stopAsking = options.askWorkers ? [collectFromClusterWorkers(), registerPrimaryMerges()] : [];
  const closed = () => {
    for (const stop of stopAsking.splice(0)) stop();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      const why =
        e.code === 'EADDRINUSE'
          ? 'the port is already in use'
          : e.code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges)'
            : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND'
              ? 'no such local address'
              : e.message;
      reject(
        new ListenError(
          `the admin listener cannot listen on ${where}: ${why}. Choose another with --admin-listen HOST:PORT (port 0 picks a free one), or turn it off with --admin-listen off`,
        ),
      );
    });
    server.listen({ host: options.host, port: options.port }, () => resolve());
  }).catch((e: unknown) => {
    closed();
    throw e;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    announcement: options.token
      ? `Admin ${url}\n  requires the admin token (--admin-token or SKIFF_ADMIN_TOKEN): send Authorization: Bearer TOKEN, or open ${url}/?token=TOKEN`
      : `Admin ${url}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          closed();
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}
