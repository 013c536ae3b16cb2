/**
 * One HTTP request through one fresh component instance: build the guest's view of the request,
 * call `wasi:http/incoming-handler#handle`, stream the response back. A trap fails only this request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InstancePool, Lease } from '../../engine/instance-pool.ts';
import { DeadlineExceeded, withDeadline } from '../../engine/interrupt/with-deadline.ts';
import { guestBacktrace } from '../../engine/trap.ts';
import type { ComponentSpec } from '../../manifest/app.ts';
import { IncomingBody, type OutgoingBody } from '../../wasi/http/bodies.ts';
import { type Fields, fieldsFromNode, fieldsToNode, fieldsToPairs } from '../../wasi/http/fields.ts';
import { IncomingRequest, ResponseOutparam, type ResponseResult } from '../../wasi/http/messages.ts';
import { limitedSource, readableSource, writableSink } from '../../wasi/io/node-streams.ts';
import { type ByteSource, StreamFailure } from '../../wasi/io/streams.ts';
import type { HttpInstance } from './http-instance.ts';
import type { HostLog } from './log.ts';
import { isRouteHeaderName, routeHeaders } from './route-headers.ts';
import type { RouteMatch } from './router.ts';

export interface RequestContext {
  id: number;
  spec: ComponentSpec;
  pool: InstancePool<HttpInstance>;
  maxBodyBytes: number;
  /** Wall-clock limit of the guest's handle call, streaming included; none if undefined. */
  timeoutMs: number | undefined;
  match: RouteMatch;
  log: HostLog;
}

/**
 * After the head is out, the only honest signal of a failed response is a connection closed before
 * the body's end. The bytes already written are flushed first, so the client sees how far it got.
 */
function abortResponse(res: ServerResponse): void {
  const socket = res.socket;
  if (socket) socket.destroySoon();
  else res.destroy();
}

function sendPlain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    if (!res.writableFinished) abortResponse(res);
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

/** The request body as the guest reads it: streamed, and cut off past the size limit. */
function bodySource(req: IncomingMessage, maxBodyBytes: number): ByteSource {
  const tooLarge = () =>
    new StreamFailure(`the request body is larger than the limit of ${maxBodyBytes} bytes`, {
      http: { tag: 'HTTP-request-body-size', val: undefined },
    });
  return limitedSource(readableSource(req), maxBodyBytes, tooLarge, () => req.destroy());
}

function guestRequest(req: IncomingMessage, match: RouteMatch, maxBodyBytes: number): IncomingRequest {
  const local = req.socket;
  const authority = req.headers.host ?? `${local.localAddress}:${local.localPort}`;
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
    routeHeaders(match, { fullUrl: `http://${authority}${req.url}`, clientAddr }),
  );
  const trailers = new Promise<Fields | undefined>((resolve) => {
    req.on('end', () => resolve(req.rawTrailers.length ? fieldsFromNode(req.rawTrailers) : undefined));
    req.on('close', () => resolve(undefined));
  });
  return new IncomingRequest({
    method: req.method ?? 'GET',
    pathWithQuery: req.url ?? '/',
    scheme: { tag: 'HTTP' },
    authority,
    headers,
    body: new IncomingBody(bodySource(req, maxBodyBytes), () => trailers),
  });
}

function attachBody(body: OutgoingBody, res: ServerResponse): void {
  body.attach({
    sink: writableSink(res),
    finish: (trailers) => {
      if (trailers) res.addTrailers(fieldsToPairs(trailers));
      res.end();
    },
    abort: () => abortResponse(res),
  });
}

export async function handleRequest(
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { spec, log } = ctx;
  let delivered: ResponseResult | undefined;
  const outparam = new ResponseOutparam((result) => {
    delivered = result;
    if (result.tag === 'err') return;
    const response = result.val;
    try {
      res.writeHead(response.statusCode(), fieldsToNode(response.headers()));
    } catch (e) {
      log.error(`[${spec.id}] request ${ctx.id}: invalid response head: ${(e as Error).message}`);
      delivered = { tag: 'err', val: { tag: 'HTTP-protocol-error' } };
      sendPlain(res, 500, 'Internal Server Error: the component sent an invalid response head');
      return;
    }
    if (response.bodyTaken) attachBody(response.outgoingBody, res);
  });
  let lease: Lease<HttpInstance>;
  try {
    lease = await ctx.pool.acquire();
  } catch (e) {
    log.trap(spec.id, ctx.id, `instantiating for ${req.method} ${req.url}`, e);
    sendPlain(
      res,
      500,
      'Internal Server Error: the component could not be instantiated (see the server log)',
    );
    return;
  }
  // Only an instance that answered cleanly goes back to a reuse pool.
  let reusable = false;
  try {
    const request = guestRequest(req, ctx.match, ctx.maxBodyBytes);
    await withDeadline(lease.instance.deadline, ctx.timeoutMs, () =>
      lease.instance.handle(request, outparam),
    );
    if (!delivered) {
      log.error(`[${spec.id}] request ${ctx.id}: the component returned without setting a response`);
      sendPlain(res, 500, 'Internal Server Error: the component did not respond');
    } else if (delivered.tag === 'err') {
      log.error(
        `[${spec.id}] request ${ctx.id}: the component answered with error ${JSON.stringify(delivered.val)}`,
      );
      sendPlain(res, 500, `Internal Server Error: ${delivered.val.tag}`);
    } else if (!delivered.val.bodyTaken) {
      res.end();
      reusable = true;
    } else if (delivered.val.outgoingBody.state === 'open') {
      log.error(`[${spec.id}] request ${ctx.id}: the component returned without finishing the response body`);
      abortResponse(res);
    } else {
      reusable = delivered.val.outgoingBody.state === 'finished';
    }
  } catch (e) {
    if (e instanceof DeadlineExceeded) {
      const what = `[${spec.id}] request ${ctx.id} (${req.method} ${req.url}) ${e.message}`;
      if (e.whileRunning) log.error(`${what}; stopped while running:\n${guestBacktrace(e.cause, '  ')}`);
      else log.error(`${what}; stopped while waiting on I/O`);
      // The connection closes: the request body may still be arriving for a guest that is gone.
      sendPlain(res, 504, `Gateway Timeout: the component ${e.message}`, { connection: 'close' });
    } else {
      log.trap(spec.id, ctx.id, `${req.method} ${req.url}`, e);
      sendPlain(res, 500, 'Internal Server Error: the component failed (see the server log)');
    }
  } finally {
    lease.release({ reusable });
  }
}
