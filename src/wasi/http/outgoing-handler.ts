/**
 * `wasi:http/outgoing-handler` — outbound requests, only to destinations the component was granted.
 * Bodies stream both ways; nothing is buffered whole.
 *
 * Requests go out through undici: per worker, one pooled Agent per grant set (a component's
 * OutboundPolicy), so the component's instances reuse connections per origin, at most
 * CONNECTIONS_PER_ORIGIN of them, and no component rides a connection its own grants would not have
 * opened (a grant by address may lead to a private address; a wildcard must not, pooled or not).
 * undici's HTTP/1 client cannot send request trailers, so a request that announces them (`Trailer`,
 * which hyper, wasmtime's client, also requires before it sends any) with a streamed body goes
 * through node:http instead, over a keep-alive agent per grant set too.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { Agent, buildConnector, type Dispatcher, Pool } from 'undici';
import { type OutboundEvent, outboundTracing } from '../../observability/events.ts';
import { readableSource, writableSink } from '../io/node-streams.ts';
import { type ByteSource, StreamFailure } from '../io/streams.ts';
import { ResultError } from '../result-error.ts';
import type { WasiHttpOutgoingHandler } from '../shapes/http.ts';
import { IncomingBody } from './bodies.ts';
import { type Fields, fieldsFromNode, fieldsToPairs } from './fields.ts';
import {
  type ErrorCode,
  FutureIncomingResponse,
  IncomingResponse,
  methodToString,
  type OutgoingRequest,
  type RequestOptions,
  schemeToString,
} from './messages.ts';
import type { OutboundPolicy } from './outbound-policy.ts';

/** The error code our DNS check fails a connection with. */
const PROHIBITED = 'ESKIFF_PROHIBITED_ADDRESS';

/** wasmtime's default too: a request without a scheme goes out over TLS. */
const DEFAULT_SCHEME = 'https';

/**
 * Each timeout a guest leaves unset: wasmtime's default (600 s for all three), so a guest waits as
 * long on either host. A connect seldom lasts that long: Linux gives up on unanswered SYNs after
 * about 130 s, which is `connection-timeout` too. It also bounds the connection attempt itself.
 */
const DEFAULT_TIMEOUT_MS = 600_000;
/** setTimeout's ceiling (about 24.8 days): a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Per origin, grant set and worker; past it a request waits for a connection to be free. */
const CONNECTIONS_PER_ORIGIN = 128;

/** RFC 3986 authority without userinfo: a reg-name, IPv4 or bracketed IPv6 host, then a port. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::[0-9]*)?$/;

/** A path a request line may carry: from `/`, no controls, no spaces (the rest is percent-encoded). */
function sendablePath(path: string): boolean {
  if (!path.startsWith('/')) return false;
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return false;
  }
  return true;
}

function errorCodeFor(e: unknown): ErrorCode {
  if (e instanceof OutboundTimeout) return e.errorCode;
  const error = e as NodeJS.ErrnoException;
  // A DOMException's code is a number.
  const code = typeof error.code === 'string' ? error.code : '';
  switch (code) {
    case PROHIBITED:
      return { tag: 'destination-IP-prohibited' };
    case 'ECONNREFUSED':
      return { tag: 'connection-refused' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { tag: 'DNS-error', val: { rcode: code, infoCode: undefined } };
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { tag: 'connection-timeout' };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { tag: 'connection-read-timeout' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { tag: 'connection-terminated' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { tag: 'destination-unavailable' };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return { tag: 'HTTP-response-incomplete' };
    case 'UND_ERR_HEADERS_OVERFLOW':
      return { tag: 'HTTP-response-header-section-size' };
    default:
      if (code.startsWith('HPE_')) return { tag: 'HTTP-protocol-error' };
      if (code.startsWith('ERR_TLS') || code.includes('CERT')) return { tag: 'TLS-certificate-error' };
      return { tag: 'internal-error', val: error?.message ?? String(e) };
  }
}

/** A timeout that fired, with the error code the guest gets for it. */
class OutboundTimeout extends Error {
  readonly errorCode: ErrorCode;
  constructor(errorCode: ErrorCode, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

interface Timeouts {
  connect: number;
  firstByte: number;
  betweenBytes: number;
}

/** Nanoseconds to whole milliseconds, rounded up; zero fires at once. */
const toMs = (ns: bigint | undefined): number =>
  ns === undefined ? DEFAULT_TIMEOUT_MS : Math.min(Math.ceil(Number(ns) / 1e6), MAX_TIMER_MS);

function timeoutsOf(options: RequestOptions | undefined): Timeouts {
  return {
    connect: toMs(options?.connectTimeout()),
    firstByte: toMs(options?.firstByteTimeout()),
    betweenBytes: toMs(options?.betweenBytesTimeout()),
  };
}

/**
 * The request-options timeouts of one request, as the WIT describes them and wasmtime applies them
 * (its default_send_request), one timer at a time:
 * - connect: from dispatch until the request has a connection (TCP, and TLS for https) →
 *   `connection-timeout`. Waiting for a free connection of a full pool does not count: that bound
 *   is the host's, not the destination's.
 * - first byte: from the request having been sent until the response head arrives →
 *   `connection-read-timeout`, wasmtime's code for it. It starts once the body is out, so a long
 *   upload is not cut short by it.
 * - between bytes: the longest silence of the response body, from its head on →
 *   `connection-read-timeout` on the body stream (for 0.3, the trailers future), as wasmtime
 *   reports it. Silence while the guest has bytes it has not read yet is its own: the wait counts
 *   again from when it has read them all, as with wasmtime, which reads a body only as the guest does.
 */
class Deadlines {
  #phase: 'connecting' | 'sending' | 'waiting' | 'receiving' | 'done' = 'connecting';
  #timer: NodeJS.Timeout | undefined;
  #unread: () => boolean = () => false;
  /** Node may report a request sent before its socket reports the connect. */
  #sentEarly = false;
  /** The body went silent while the guest had bytes to read: no timer until it has read them. */
  #guestBehind = false;
  readonly #ms: Timeouts;
  readonly #expire: (timeout: OutboundTimeout) => void;
  constructor(ms: Timeouts, expire: (timeout: OutboundTimeout) => void) {
    this.#ms = ms;
    this.#expire = expire;
  }

  /** `queued`: the request is waiting for a connection of a full pool to be free. */
  connecting(queued: () => boolean): void {
    this.#arm(this.#ms.connect, () => {
      if (queued()) this.connecting(queued);
      else this.#fire({ tag: 'connection-timeout' }, `no connection within ${this.#ms.connect} ms`);
    });
  }

  connected(): void {
    if (this.#phase !== 'connecting') return;
    this.#phase = 'sending';
    this.#clear();
    if (this.#sentEarly) this.sent();
  }

  sent(): void {
    if (this.#phase === 'connecting') this.#sentEarly = true;
    if (this.#phase !== 'sending') return;
    this.#phase = 'waiting';
    this.#arm(this.#ms.firstByte, () =>
      this.#fire({ tag: 'connection-read-timeout' }, `no response within ${this.#ms.firstByte} ms`),
    );
  }

  /** `unread`: the guest has body bytes it has not read yet. */
  responded(unread: () => boolean): void {
    if (this.#phase === 'done') return;
    this.#phase = 'receiving';
    this.#unread = unread;
    this.#arm(this.#ms.betweenBytes, () => this.#silent());
  }

  /** The guest has read every byte received so far. */
  drained(): void {
    if (this.#phase !== 'receiving' || !this.#guestBehind) return;
    this.#guestBehind = false;
    this.#arm(this.#ms.betweenBytes, () => this.#silent());
  }

  #silent(): void {
    if (!this.#unread()) {
      this.#fire(
        { tag: 'connection-read-timeout' },
        `the response body stalled for ${this.#ms.betweenBytes} ms`,
      );
      return;
    }
    this.#guestBehind = true;
    this.#clear();
  }

  /** Bytes of the response body arrived. */
  data(): void {
    if (this.#phase === 'receiving' && !this.#guestBehind) this.#timer?.refresh();
  }

  done(): void {
    this.#phase = 'done';
    this.#clear();
  }

  #arm(ms: number, then: () => void): void {
    this.#clear();
    this.#timer = setTimeout(then, ms).unref();
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(code: ErrorCode, message: string): void {
    this.#phase = 'done';
    this.#timer = undefined;
    this.#expire(new OutboundTimeout(code, message));
  }
}

/** Only the addresses `policy` lets this destination reach; a name with none fails as PROHIBITED. */
function policyLookup(
  policy: OutboundPolicy,
  scheme: string,
  hostname: string,
  port: number,
): LookupFunction {
  return (name, options, callback) => {
    dnsLookup(name, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((a) => policy.allowsAddress(scheme, hostname, port, a.address));
      const [pick] = allowed;
      if (!pick) {
        const refused = Object.assign(new Error(`${name} resolves to no address it may reach`), {
          code: addresses[0] ? PROHIBITED : 'ENOTFOUND',
          address: addresses[0]?.address,
        });
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, pick.address, pick.family);
    });
  };
}

/** Where a request goes, checked: anything a request line cannot carry is `HTTP-request-URI-invalid`. */
interface Target {
  scheme: 'http' | 'https';
  /** As the guest set it: the Host header. */
  authority: string;
  /** `scheme://host[:port]`, normalized: the pool's key. */
  origin: string;
  /** As the policy sees it (IPv6 in brackets). */
  host: string;
  /** Without brackets, for DNS and sockets. */
  hostname: string;
  port: number;
  path: string;
  method: string;
}

function uriInvalid(): never {
  throw new ResultError<ErrorCode>({ tag: 'HTTP-request-URI-invalid' });
}

function targetOf(request: OutgoingRequest): Target {
  const scheme = request.scheme() ? schemeToString(request.scheme()) : DEFAULT_SCHEME;
  const authority = request.authority();
  if (!authority || (scheme !== 'http' && scheme !== 'https') || !AUTHORITY.test(authority)) uriInvalid();
  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}`);
  } catch {
    uriInvalid();
  }
  const raw = request.pathWithQuery() ?? '/';
  if (raw !== '*' && !sendablePath(raw)) uriInvalid();
  // Non-ASCII goes out percent-encoded (as UTF-8), which servers accept; raw bytes they refuse.
  let path: string;
  try {
    path = raw.replace(/[^\u0021-\u007e]+/gu, encodeURIComponent);
  } catch {
    uriInvalid(); // a lone surrogate
  }
  const method = methodToString(request.method());
  // A tunnel has no response a wasi:http guest could read.
  if (method === 'CONNECT') throw new ResultError<ErrorCode>({ tag: 'HTTP-request-method-invalid' });
  return {
    scheme,
    authority,
    origin: url.origin,
    host: url.hostname,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (scheme === 'https' ? 443 : 80)),
    path,
    method,
  };
}

/** Raw header lines from undici (Buffers, latin1) as the strings fieldsFromNode reads. */
type RawLines = Dispatcher.DispatchController['rawHeaders'];
function rawStrings(raw: RawLines): string[] {
  if (!raw) return [];
  if (Array.isArray(raw)) return raw.map((v) => (typeof v === 'string' ? v : v.toString('latin1')));
  return Object.entries(raw).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).flatMap((v) => (v === undefined ? [] : [name, String(v)])),
  );
}

/** What the host learns of one undici request as it goes, for its timeouts and raw header lines. */
interface Observer {
  started(): void;
  sent(): void;
  head(raw: RawLines): void;
  data(): void;
  end(raw: RawLines): void;
  failed(): void;
}

const OBSERVER = Symbol('skiff outbound observer');

class Observed implements Dispatcher.DispatchHandler {
  readonly #inner: Dispatcher.DispatchHandler;
  readonly #observer: Observer;
  constructor(inner: Dispatcher.DispatchHandler, observer: Observer) {
    this.#inner = inner;
    this.#observer = observer;
  }
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#observer.started();
    this.#inner.onRequestStart?.(controller, context);
  }
  onRequestSent(): void {
    this.#observer.sent();
    this.#inner.onRequestSent?.();
  }
  onBodySent(chunk: Buffer): void {
    this.#inner.onBodySent?.(chunk);
  }
  onResponseStarted(): void {
    this.#inner.onResponseStarted?.();
  }
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: http.IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode >= 200) this.#observer.head(controller.rawHeaders);
    this.#inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#observer.data();
    this.#inner.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: http.IncomingHttpHeaders): void {
    this.#observer.end(controller.rawTrailers);
    this.#inner.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.#observer.failed();
    this.#inner.onResponseError?.(controller, error);
  }
}

/** Hands each request's handler to its Observer, between undici's request API and the Agent. */
const observe: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
  const observer = (options as { [OBSERVER]?: Observer })[OBSERVER];
  return dispatch(options, observer ? new Observed(handler, observer) : handler);
};

/** The connections of one grant set in this worker. */
interface Pooled {
  undici: Dispatcher;
  /** Whether every connection the pool may open to `origin` is open: a new request waits its turn. */
  full(origin: string): boolean;
  node: { http: http.Agent; https: https.Agent };
}

const pools = new WeakMap<OutboundPolicy, Pooled>();

function pooledFor(policy: OutboundPolicy): Pooled {
  const known = pools.get(policy);
  if (known) return known;
  const agent = new Agent({
    connections: CONNECTIONS_PER_ORIGIN,
    allowH2: false,
    // Deadlines times requests; undici's own timers would end them sooner, with other codes.
    headersTimeout: 0,
    bodyTimeout: 0,
    // Each origin's connections resolve names through this grant set, so a pool never holds a
    // connection to an address the grants refuse.
    factory: (origin, options) => {
      const url = new URL(origin);
      const scheme = url.protocol.slice(0, -1);
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      const port = Number(url.port || (scheme === 'https' ? 443 : 80));
      return new Pool(origin, {
        ...(options as Pool.Options),
        connect: buildConnector({
          allowH2: false,
          timeout: DEFAULT_TIMEOUT_MS,
          lookup: policyLookup(policy, scheme, hostname, port),
        }),
      });
    },
  });
  const pooled: Pooled = {
    undici: agent.compose(observe),
    full: (origin) => {
      const stats = agent.stats[origin];
      return typeof stats?.connected === 'number' && stats.connected >= CONNECTIONS_PER_ORIGIN;
    },
    node: {
      http: new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS_PER_ORIGIN }),
      https: new https.Agent({ keepAlive: true, maxSockets: CONNECTIONS_PER_ORIGIN }),
    },
  };
  pools.set(policy, pooled);
  return pooled;
}

type Outcome = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode };

/**
 * A response as the guest reads it: its body streamed from `body`, then the trailers. The body's
 * timer learns from the reads whether the guest has caught up (`complete`: nothing more will come).
 */
function received(
  status: number,
  rawHeaders: string[],
  body: Readable,
  rawTrailers: () => string[] | undefined,
  deadlines: Deadlines,
  complete: () => boolean = () => false,
): IncomingResponse {
  const failure = (e: Error) => new StreamFailure(e.message, { http: errorCodeFor(e) });
  const trailers = new Promise<Fields | undefined>((done) => {
    body.on('end', () => {
      const raw = rawTrailers();
      done(raw?.length ? fieldsFromNode(raw) : undefined);
    });
    body.on('close', () => done(undefined));
  });
  const source = readableSource(body, failure);
  deadlines.responded(() => complete() || source.isReadable());
  const watched: ByteSource = {
    ...source,
    read(max) {
      const got = source.read(max);
      if (!source.isReadable()) deadlines.drained();
      return got;
    },
  };
  return new IncomingResponse(status, fieldsFromNode(rawHeaders), new IncomingBody(watched, () => trailers));
}

/** An outbound request that failed, as its tracing channel reports it (the guest gets the code). */
class OutboundFailed extends Error {
  readonly errorCode: ErrorCode;
  constructor(errorCode: ErrorCode) {
    super(`outbound request failed: ${errorCode.tag}`);
    this.errorCode = errorCode;
  }
}

/**
 * Publishes the request on outboundTracing from dispatch until its response head (or failure).
 * The channel's subscribers fill `headers` (trace context) as it starts; `send` merges them in.
 */
function traced(
  component: string,
  target: Target,
  send: (hostHeaders: Record<string, string>) => Promise<Outcome>,
): Promise<Outcome> {
  const { scheme, authority, path, method } = target;
  const event: OutboundEvent = { component, method, url: `${scheme}://${authority}${path}`, headers: {} };
  return outboundTracing
    .tracePromise(async () => {
      const outcome = await send(event.headers);
      if (outcome.tag === 'err') throw new OutboundFailed(outcome.val);
      event.status = outcome.val.status();
      return outcome;
    }, event)
    .catch((e: unknown): Outcome => {
      if (e instanceof OutboundFailed) return { tag: 'err', val: e.errorCode };
      throw e;
    });
}

/**
 * The guest's header pairs with the host's (trace context) in place of any of the same name: the
 * host's span is the outbound request's real parent, which the sandboxed guest cannot know.
 */
function withHostHeaders(pairs: Array<[string, string]>, host: Record<string, string> | undefined): string[] {
  if (!host) return pairs.flat();
  const names = Object.keys(host);
  if (names.length === 0) return pairs.flat();
  return [...pairs.filter(([name]) => !names.includes(name.toLowerCase())), ...Object.entries(host)].flat();
}

/**
 * `stopped` cancels the instance's requests in flight when it is disposed; `component` names the
 * instance's component to observers (events.ts).
 */
export function outgoingHandlerImports(
  policy: OutboundPolicy,
  describe: (message: string) => void,
  stopped: AbortSignal,
  component = '',
): WasiHttpOutgoingHandler {
  // One listener for all of the instance's requests: an AbortSignal.any per request costs about as
  // much as a request to a nearby server.
  const inFlight = new Set<AbortController>();
  stopped.addEventListener(
    'abort',
    () => {
      for (const request of inFlight) request.abort(stopped.reason);
    },
    { once: true },
  );
  return {
    handle(request: OutgoingRequest, options: RequestOptions | undefined): FutureIncomingResponse {
      const target = targetOf(request);
      const { scheme, authority, host, hostname, port } = target;
      if (!policy.allows(scheme, host, port)) {
        describe(
          `outbound request to ${scheme}://${authority} denied: add "${scheme}://${authority}" to allowed_outbound_hosts`,
        );
        throw new ResultError<ErrorCode>({ tag: 'HTTP-request-denied' });
      }
      // A request that declares a body it can never send would leave the server waiting for it.
      const declared = request.outgoingBody.declaredLength;
      if (!request.bodyTaken && declared) {
        describe(
          `outbound request to ${scheme}://${authority} refused: it declares content-length: ${declared} but its body was never taken`,
        );
        throw new ResultError<ErrorCode>({ tag: 'HTTP-request-body-size', val: 0n });
      }
      const prohibited = (address: string) => {
        describe(
          `outbound request to ${scheme}://${authority} denied: ${hostname} is ${address}, a loopback, private or link-local address; ` +
            `grant it by address ("${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}") if that is really meant`,
        );
      };
      if (isIP(hostname) && !policy.allowsAddress(scheme, hostname, port, hostname)) {
        prohibited(hostname);
        throw new ResultError<ErrorCode>({ tag: 'destination-IP-prohibited' });
      }
      // Names are checked again after DNS (policyLookup): a granted name must not lead to an internal address.
      const failed = (e: unknown): ErrorCode => {
        const { code, address } = e as { code?: unknown; address?: unknown };
        if (code === PROHIBITED && typeof address === 'string') prohibited(address);
        return errorCodeFor(e);
      };
      const send: Send = {
        policy,
        pooled: pooledFor(policy),
        timeouts: timeoutsOf(options),
        stopped,
        inFlight,
        failed,
        hostHeaders: undefined,
      };
      // undici sends neither request trailers nor `OPTIONS *`.
      const viaNode =
        target.path === '*' ||
        (request.bodyTaken && declared === undefined && request.headers().has('trailer'));
      const dispatch = () =>
        viaNode ? sendWithNode(request, target, send) : sendWithUndici(request, target, send);
      if (!outboundTracing.hasSubscribers) return new FutureIncomingResponse(dispatch());
      return new FutureIncomingResponse(
        traced(component, target, (hostHeaders) => {
          send.hostHeaders = hostHeaders;
          return dispatch();
        }),
      );
    },
  };
}

interface Send {
  policy: OutboundPolicy;
  pooled: Pooled;
  timeouts: Timeouts;
  stopped: AbortSignal;
  /** What `stopped` aborts: the undici requests not yet complete. */
  inFlight: Set<AbortController>;
  failed: (e: unknown) => ErrorCode;
  /** Headers the host adds (trace context), replacing the guest's of the same name. */
  hostHeaders: Record<string, string> | undefined;
}

function sendWithUndici(request: OutgoingRequest, target: Target, send: Send): Promise<Outcome> {
  const abort = new AbortController();
  if (send.stopped.aborted) abort.abort(send.stopped.reason);
  else send.inFlight.add(abort);
  const deadlines = new Deadlines(send.timeouts, (timeout) => abort.abort(timeout));
  const settled = () => {
    deadlines.done();
    send.inFlight.delete(abort);
  };
  let rawHeaders: string[] = [];
  let rawTrailers: string[] | undefined;
  const observer: Observer = {
    started: () => deadlines.connected(),
    sent: () => deadlines.sent(),
    head: (raw) => {
      rawHeaders = rawStrings(raw);
    },
    data: () => deadlines.data(),
    end: (raw) => {
      rawTrailers = rawStrings(raw);
      settled();
    },
    failed: settled,
  };
  const body = request.bodyTaken ? new PassThrough() : null;
  deadlines.connecting(() => send.pooled.full(target.origin));
  const requestOptions = {
    origin: target.origin,
    path: target.path,
    method: target.method,
    // Host is the host's: always the authority the guest asked for (a guest's own `host` never
    // leaves fieldsToPairs). undici refuses `expect`; without it the body simply goes at once.
    headers: [
      'host',
      target.authority,
      ...withHostHeaders(
        fieldsToPairs(request.headers()).filter(([name]) => name !== 'expect'),
        send.hostHeaders,
      ),
    ],
    body,
    signal: abort.signal,
    [OBSERVER]: observer,
  };
  const outcome = send.pooled.undici.request(requestOptions as Dispatcher.RequestOptions).then(
    (res): Outcome => ({
      tag: 'ok',
      val: received(res.statusCode, rawHeaders, res.body, () => rawTrailers, deadlines),
    }),
    (e: unknown): Outcome => {
      settled();
      // A guest still writing the body learns it is in vain.
      body?.destroy(e as Error);
      return { tag: 'err', val: send.failed(e) };
    },
  );
  if (body) attachBody(request, body);
  return outcome;
}

/** What check-write offers once a body has all its declared bytes: any more fail as too long. */
const COMPLETE_BODY_WINDOW = 64 * 1024;

/**
 * The guest's request body into undici's. A body that has all its declared bytes ends at once:
 * the server may answer as soon as it has them, and undici resets a connection whose response
 * ends while its request is still open, destroying the body the guest has yet to finish.
 */
function attachBody(request: OutgoingRequest, body: PassThrough): void {
  const declared = request.outgoingBody.declaredLength;
  const sink = writableSink(body);
  let written = 0;
  const complete = () => declared !== undefined && written >= declared;
  const end = () => {
    if (!body.writableEnded) body.end();
  };
  request.outgoingBody.attach({
    sink: {
      capacity: () => (complete() ? COMPLETE_BODY_WINDOW : sink.capacity()),
      write: (bytes) => {
        sink.write(bytes);
        written += bytes.length;
        if (complete()) end();
      },
      whenWritable: () => (complete() ? Promise.resolve() : sink.whenWritable()),
    },
    // Trailers need a request that announces them (`Trailer`), which sendWithNode sends; hyper
    // drops unannounced ones too.
    finish: end,
    abort: (reason) => body.destroy(new Error(reason)),
  });
  if (complete()) end();
}

function sendWithNode(request: OutgoingRequest, target: Target, send: Send): Promise<Outcome> {
  const { scheme, hostname, port } = target;
  const client = scheme === 'https' ? https : http;
  const streamed = request.bodyTaken && request.outgoingBody.declaredLength === undefined;
  const chunked = streamed ? ['transfer-encoding', 'chunked'] : [];
  let outgoing: http.ClientRequest;
  try {
    outgoing = client.request({
      agent: send.pooled.node[scheme],
      lookup: policyLookup(send.policy, scheme, hostname, port),
      method: target.method,
      hostname,
      port,
      path: target.path,
      // Host is the host's, as above; Node adds none when headers come as a flat list. A body
      // without a length goes chunked, which carries trailers; Node would not choose it for a GET.
      headers: [
        'host',
        target.authority,
        ...withHostHeaders(fieldsToPairs(request.headers()), send.hostHeaders),
        ...chunked,
      ],
      signal: send.stopped,
    });
  } catch (e) {
    // The guest's writes fail from now on instead of waiting for a request that never was.
    const gone = new PassThrough().destroy();
    if (request.bodyTaken)
      request.outgoingBody.attach({ sink: writableSink(gone), finish: () => {}, abort: () => {} });
    return Promise.resolve({ tag: 'err', val: send.failed(e) });
  }
  let response: http.IncomingMessage | undefined;
  const deadlines = new Deadlines(send.timeouts, (timeout) => {
    response?.destroy(timeout);
    outgoing.destroy(timeout);
  });
  deadlines.connecting(() => !outgoing.socket);
  outgoing.on('socket', (socket) => {
    if (outgoing.reusedSocket) deadlines.connected();
    else socket.once(scheme === 'https' ? 'secureConnect' : 'connect', () => deadlines.connected());
  });
  outgoing.on('finish', () => deadlines.sent());
  const outcome = new Promise<Outcome>((resolve) => {
    outgoing.on('response', (res) => {
      response = res;
      const socket = res.socket;
      const arrived = () => deadlines.data();
      socket?.on('data', arrived);
      res.on('close', () => {
        socket?.off('data', arrived);
        deadlines.done();
      });
      resolve({
        tag: 'ok',
        val: received(
          res.statusCode ?? 502,
          res.rawHeaders,
          res,
          () => res.rawTrailers,
          deadlines,
          () => res.complete,
        ),
      });
    });
    outgoing.on('error', (e) => {
      deadlines.done();
      resolve({ tag: 'err', val: send.failed(e) });
    });
  });
  if (request.bodyTaken)
    request.outgoingBody.attach({
      sink: writableSink(outgoing),
      finish: (trailers) => {
        if (trailers && streamed) outgoing.addTrailers(fieldsToPairs(trailers));
        outgoing.end();
      },
      abort: (reason) => outgoing.destroy(new Error(reason)),
    });
  else outgoing.end();
  return outcome;
}
