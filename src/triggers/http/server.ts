/**
 * `skiff up`'s transport: a node:http server in front of the HTTP core (http-app.ts). Node's
 * request and response objects go to the core as they are; this file owns only what is about the
 * wire: parser limits, slowloris timeouts, the listen socket, and a graceful close.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { holdForConnection } from '../../engine/interrupt/time-slice.ts';
import type { App } from '../../manifest/app.ts';
import { type HttpApp, type HttpAppOptions, loadHttpApp } from './http-app.ts';

/** The core's settings, and the listener's. */
export interface HttpServerOptions extends HttpAppOptions {
  host: string;
  port: number;
  /** A client must send its whole request head within this (slowloris); default 10 s. */
  headersTimeoutMs?: number | undefined;
  /** …and its whole request within this; default 120 s. */
  requestTimeoutMs?: number | undefined;
}

export interface RunningHttpServer {
  /** e.g. `http://127.0.0.1:3000` */
  url: string;
  routes: Array<{ route: string; component: string }>;
  server: Server;
  /** Loads a rebuilt component and swaps it in (see HttpApp.reload). */
  reload(id: string): Promise<void>;
  /** Each routed component right now (see HttpApp.stats). */
  stats: HttpApp['stats'];
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/** A client must send its whole head within this (slowloris). */
const HEADERS_TIMEOUT_MS = 10_000;
/** …and its whole request within this. */
const REQUEST_TIMEOUT_MS = 120_000;
/** Larger heads get 431 from Node's parser. */
const MAX_HEADER_BYTES = 16 * 1024;

/** Connections the kernel may queue before the server accepts them. */
const LISTEN_BACKLOG = 4096;

export class ListenError extends Error {
  override name = 'ListenError';
}

export async function startHttpServer(app: App, options: HttpServerOptions): Promise<RunningHttpServer> {
  const core = await loadHttpApp(app, options);
  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // Node checks these timeouts every 30 s by default, which lets a slow client hold a
      // connection three times longer than the limit says.
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    core.handle,
  );

  // A new connection's request is read a turn after the accept: no computing guest runs in between.
  server.on('connection', (socket: Socket) => {
    const release = holdForConnection();
    socket.once('data', release);
    socket.once('close', release);
  });

  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      if (e.code === 'EADDRINUSE') {
        reject(
          new ListenError(
            `cannot listen on ${where}: the port is already in use. Stop the other server or choose another port, e.g. --listen ${options.host}:0 for a free one`,
          ),
        );
      } else if (e.code === 'EACCES') {
        reject(
          new ListenError(
            `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose a port above 1024`,
          ),
        );
      } else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
        reject(new ListenError(`cannot listen on ${where}: no such local address; use 127.0.0.1 or 0.0.0.0`));
      } else reject(e);
    });
    // Node's default backlog (511) overflows under a burst of connections, and each overflowed client
    // then waits a full second for its SYN retry; the kernel caps this at net.core.somaxconn.
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  // A server that cannot listen releases what the core opened (pools, key-value backends).
  await listening.catch(async (e: unknown) => {
    await core.close();
    throw e;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    routes: core.routes,
    server,
    reload: core.reload,
    stats: core.stats,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive connections that go idle after close() would otherwise linger until their
        // timeout; sweep them as in-flight responses complete.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearInterval(sweep);
          core.close().then(() => resolve());
        });
        server.closeIdleConnections();
      }),
  };
}
