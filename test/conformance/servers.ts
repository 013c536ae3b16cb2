/**
 * The HTTP servers an operations spec asks for (`servers`), for the guest to call: each listens on
 * 127.0.0.1 on a free port and reaches the guest as `HTTP_SERVER_<NAME>=127.0.0.1:PORT`. A
 * `closed` server is an address where nothing listens. Endpoints answer by method and request
 * target: `static` with the spec's response (chunked, with trailers, when it gives chunks),
 * `echo-body` with the request body, `echo-headers` with the request line, headers and trailers as
 * response headers; anything else gets 404. Every reply closes its connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { Endpoint, ServerSpec } from './spec.ts';

export interface RunningServers {
  /** `HTTP_SERVER_<NAME>` → `127.0.0.1:PORT`. */
  env: Record<string, string>;
  /** `http://127.0.0.1:PORT` of every server, closed ones too: the guest may try them all. */
  origins: string[];
  close(): Promise<void>;
}

export async function startServers(specs: ServerSpec[]): Promise<RunningServers> {
  const env: Record<string, string> = {};
  const servers: Server[] = [];
  const close = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      ),
    ).then(() => {});
  try {
    for (const spec of specs) {
      const name = `HTTP_SERVER_${spec.name.toUpperCase()}`;
      if (spec.kind === 'closed') {
        env[name] = `127.0.0.1:${await unusedPort()}`;
        continue;
      }
      const routes = new Map(spec.endpoints.map((ep) => [`${ep.method} ${ep.path}`, ep]));
      const server = createServer((req, res) => {
        answer(routes, req, res).catch((e: unknown) => res.destroy(e as Error));
      });
      servers.push(server);
      env[name] = `127.0.0.1:${await listen(server)}`;
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { env, origins: Object.values(env).map((address) => `http://${address}`), close };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** A port that was free a moment ago and has nothing listening on it now. */
function unusedPort(): Promise<number> {
  const probe = createTcpServer();
  return new Promise((resolvePort, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

async function answer(routes: Map<string, Endpoint>, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const endpoint = routes.get(`${req.method} ${req.url}`);
  if (!endpoint) return reply(res, 404, [], Buffer.alloc(0));
  if (endpoint.mode === 'echo-body') return reply(res, 200, [], body);
  if (endpoint.mode === 'echo-headers') return reply(res, 200, echoedHeaders(req), Buffer.alloc(0));
  const response = endpoint.response;
  if (!response) throw new Error(`static endpoint ${endpoint.method} ${endpoint.path} has no response`);
  const headers = Object.entries(response.headers);
  if (!response.chunks) return reply(res, response.status, headers, Buffer.from(response.body));
  // No content-length: the chunk framing ends the body, and trailers follow the last chunk.
  const trailerNames = Object.keys(response.trailers);
  headers.push(['transfer-encoding', 'chunked'], ['connection', 'close']);
  if (trailerNames.length > 0) headers.push(['trailer', trailerNames.join(', ')]);
  res.writeHead(response.status, headers.flat());
  for (const chunk of response.chunks) if (chunk) res.write(chunk);
  if (trailerNames.length > 0) res.addTrailers(response.trailers);
  res.end();
}

/** `x-request-method`, `x-request-path`, then every header value and every trailer. */
function echoedHeaders(req: IncomingMessage): Array<[string, string]> {
  const echoed: Array<[string, string]> = [
    ['x-request-method', req.method ?? ''],
    ['x-request-path', req.url ?? ''],
  ];
  // Grouped by name in the order names first appear, every value of a repeated header kept.
  const byName = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), req.rawHeaders[i + 1] as string]);
  }
  for (const [name, values] of byName) for (const value of values) echoed.push([`x-echo-${name}`, value]);
  for (const [name, value] of Object.entries(req.trailers)) echoed.push([`x-trailer-${name}`, value ?? '']);
  return echoed;
}

function reply(res: ServerResponse, status: number, headers: Array<[string, string]>, body: Buffer): void {
  res.writeHead(
    status,
    [...headers, ['content-length', String(body.length)], ['connection', 'close']].flat(),
  );
  res.end(body);
}
