/**
 * One HTTP request through one fresh component instance: build the guest's view of the request,
 * call `wasi:http/incoming-handler#handle`, stream the response back. A trap fails only this request.
 */
import type { InstancePool, Lease } from '../../engine/instance-pool.ts';
import { CpuAccount } from '../../engine/interrupt/time-slice.ts';
import { CpuLimitExceeded, DeadlineExceeded, withDeadline } from '../../engine/interrupt/with-deadline.ts';
import { guestBacktrace } from '../../engine/trap.ts';
import type { ComponentSpec } from '../../manifest/app.ts';
import { guestCallTracing, guestTrapped, type RequestOutcome } from '../../observability/events.ts';
import { IncomingBody } from '../../wasi/http/bodies.ts';
import { type Fields, fieldsFromNode } from '../../wasi/http/fields.ts';
import {
  IncomingRequest,
  ResponseOutparam,
  type ResponseResult,
  type Scheme,
} from '../../wasi/http/messages.ts';
import { limitedSource, readableSource } from '../../wasi/io/node-streams.ts';
import { type ByteSource, StreamFailure } from '../../wasi/io/streams.ts';
import type { HostRequest, HostResponse } from './exchange.ts';
import type { HttpInstance } from './http-instance.ts';
import type { HostLog } from './log.ts';
import type { RequestTarget } from './request-target.ts';
import { ResponseWriter } from './response-writer.ts';
import { isRouteHeaderName, routeHeaders } from './route-headers.ts';
import type { RouteMatch } from './router.ts';

export interface RequestContext {
  id: number;
  spec: ComponentSpec;
  pool: InstancePool<HttpInstance>;
  maxBodyBytes: number;
  /** Wall-clock limit of the guest's handle call, streaming included; none if undefined. */
  timeoutMs: number | undefined;
  /** Guest CPU time the request may use; none if undefined. */
  maxCpuMs: number | undefined;
  /** Guest CPU time the request used, once its guest call is over. */
  cpuMs: number;
  /** How the request ended, for observers: set when the guest fails it. */
  outcome: RequestOutcome;
  /** Whether the request's guest is suspended between two time slices (set while it runs). */
  computing: () => boolean;
  match: RouteMatch;
  /** The request target in origin form, with the authority it names (RFC 9112 §3.2). */
  target: RequestTarget;
  log: HostLog;
}

/** The request body as the guest reads it: streamed, and cut off past the size limit. */
function bodySource(req: HostRequest, maxBodyBytes: number): ByteSource {
  const tooLarge = () =>
    new StreamFailure(`the request body is larger than the limit of ${maxBodyBytes} bytes`, {
      http: { tag: 'HTTP-request-body-size', val: undefined },
    });
  return limitedSource(readableSource(req), maxBodyBytes, tooLarge, () => req.destroy());
}

/** What the guest sees of a request, whichever WASI version it speaks. */
export interface RequestParts {
  method: string;
  pathWithQuery: string;
  scheme: Scheme;
  authority: string | undefined;
  headers: Fields;
  body: ByteSource;
  trailers: () => Promise<Fields | undefined>;
}

export function requestParts(
  req: HostRequest,
  target: RequestTarget,
  match: RouteMatch,
  maxBodyBytes: number,
): RequestParts {
  const local = req.socket;
  const authority = target.authority ?? `${local.localAddress}:${local.localPort}`;
  const remote = req.socket.remoteAddress ?? '';
  const clientAddr = `${remote.includes(':') ? `[${remote}]` : remote}:${req.socket.remotePort}`;
  // Route headers come from the host only: drop any the client sent so they cannot be spoofed.
  const raw: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (!isRouteHeaderName(req.rawHeaders[i] as string))
      raw.push(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  }
  const headers = fieldsFromNode(
    raw,
    routeHeaders(match, { fullUrl: `http://${authority}${target.pathWithQuery}`, clientAddr }),
  );
  const trailers = new Promise<Fields | undefined>((resolve) => {
    req.on('end', () => resolve(req.rawTrailers.length ? fieldsFromNode(req.rawTrailers) : undefined));
    req.on('close', () => resolve(undefined));
  });
  return {
    method: req.method ?? 'GET',
    pathWithQuery: target.pathWithQuery,
    scheme: { tag: 'HTTP' },
    authority,
    headers,
    body: bodySource(req, maxBodyBytes),
    trailers: () => trailers,
  };
}

function guestRequest(
  req: HostRequest,
  target: RequestTarget,
  match: RouteMatch,
  maxBodyBytes: number,
): IncomingRequest {
  const parts = requestParts(req, target, match, maxBodyBytes);
  return new IncomingRequest({ ...parts, body: new IncomingBody(parts.body, parts.trailers) });
}

/** An instance for the request, or undefined (and a 500 sent) when none could be made. */
export async function acquire(
  ctx: RequestContext,
  req: HostRequest,
  writer: ResponseWriter,
): Promise<Lease<HttpInstance> | undefined> {
  try {
    return await ctx.pool.acquire();
  } catch (e) {
    ctx.log.trap(ctx.spec.id, ctx.id, `instantiating for ${req.method} ${req.url}`, e);
    writer.fail(500, 'Internal Server Error: the component could not be instantiated (see the server log)');
    return undefined;
  }
}

/** Runs the request's guest call under its timeout and CPU budget, and notes the CPU it used. */
export async function withLimits<T>(
  ctx: RequestContext,
  instance: HttpInstance,
  call: () => Promise<T>,
): Promise<T> {
  const account = new CpuAccount(instance.deadline, ctx.maxCpuMs, ctx.id);
  ctx.computing = () => account.yielding > 0;
  const limited = () => withDeadline(instance.deadline, ctx.timeoutMs, call, account);
  try {
    return guestCallTracing.hasSubscribers
      ? await guestCallTracing.tracePromise(limited, { component: ctx.spec.id, requestId: ctx.id })
      : await limited();
  } finally {
    ctx.cpuMs = account.usedMs;
  }
}

/**
 * A guest call that failed: 504 past its deadline, 503 past its CPU limit (the connection closes
 * for both), else 500; logged either way.
 */
export function failRequest(
  ctx: RequestContext,
  req: HostRequest,
  writer: ResponseWriter,
  where: () => string,
  e: unknown,
): void {
  if (e instanceof DeadlineExceeded) {
    const cpu = `after ${ctx.cpuMs.toFixed(1)} ms of CPU`;
    if (e.whileRunning)
      ctx.log.error(
        `${where()} ${e.message}; stopped while running, ${cpu}:\n${guestBacktrace(e.cause, '  ')}`,
      );
    else ctx.log.error(`${where()} ${e.message}; stopped while waiting on I/O, ${cpu}`);
    ctx.outcome = 'timeout';
    // The connection closes: the request body may still be arriving for a guest that is gone.
    writer.fail(504, `Gateway Timeout: the component ${e.message}`, { connection: 'close' });
  } else if (e instanceof CpuLimitExceeded) {
    ctx.outcome = 'cpu-limit';
    ctx.log.error(`${where()} ${e.message}; stopped:\n${guestBacktrace(e.cause, '  ')}`);
    writer.fail(503, `Service Unavailable: the component ${e.message}`, { connection: 'close' });
  } else {
    ctx.outcome = 'trap';
    if (guestTrapped.hasSubscribers)
      guestTrapped.publish({ component: ctx.spec.id, requestId: ctx.id, message: String(e) });
    ctx.log.trap(ctx.spec.id, ctx.id, `${req.method} ${req.url}`, e);
    writer.fail(500, 'Internal Server Error: the component failed (see the server log)');
  }
}

export async function handleRequest(ctx: RequestContext, req: HostRequest, res: HostResponse): Promise<void> {
  const { spec, log } = ctx;
  // Built only when something is logged: not on the path of a request that goes well.
  const where = () => `[${spec.id}] request ${ctx.id} (${req.method} ${ctx.target.pathWithQuery})`;
  const writer = new ResponseWriter(
    res,
    req.method ?? 'GET',
    (problem) => log.error(`${where()}: ${problem}`),
    () => ctx.computing(),
  );
  let delivered: ResponseResult | undefined;
  const outparam = new ResponseOutparam((result) => {
    delivered = result;
    if (result.tag === 'ok') writer.accept(result.val);
  });
  const lease = await acquire(ctx, req, writer);
  if (!lease) return;
  // Only an instance that answered cleanly goes back to a reuse pool.
  let reusable = false;
  try {
    const request = guestRequest(req, ctx.target, ctx.match, ctx.maxBodyBytes);
    await withLimits(ctx, lease.instance, () => lease.instance.handle(request, outparam));
    if (!delivered) {
      log.error(`${where()}: the component returned without setting a response`);
      writer.fail(500, 'Internal Server Error: the component did not respond');
    } else if (delivered.tag === 'err') {
      log.error(`${where()}: the component answered with error ${JSON.stringify(delivered.val)}`);
      writer.fail(500, `Internal Server Error: ${delivered.val.tag}`);
    } else if (!delivered.val.bodyTaken) {
      reusable = true;
    } else if (delivered.val.outgoingBody.state === 'open') {
      log.error(`${where()}: the component returned without finishing the response body`);
      writer.fail(500, 'Internal Server Error: the component did not finish its response');
    } else {
      reusable = delivered.val.outgoingBody.state === 'finished';
    }
  } catch (e) {
    failRequest(ctx, req, writer, where, e);
  } finally {
    lease.release({ reusable });
  }
}
