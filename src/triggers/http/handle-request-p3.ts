/**
 * One HTTP request through a WASI 0.3 handler (`wasi:http/handler@0.3#handle`): the guest gets a
 * `request` whose body is a stream, returns a `response` whose body is its own stream, and may keep
 * running after it returned to write that body. The host sends it through the same ResponseWriter
 * and OutgoingBody as 0.2 responses, so the same integrity rules hold: final statuses only, the
 * declared content-length enforced to the byte, a broken body cut off, never made to look whole.
 */
import { ComponentError } from '../../engine/binding/canonical-abi/trap.ts';
import { type ErrorCode, OutgoingResponse } from '../../wasi/http/messages.ts';
import { sendGuestBody } from '../../wasi/p3/http-body.ts';
import { Request, type Response, receivedBody, type SentBody } from '../../wasi/p3/http-types.ts';
import type { HostRequest, HostResponse } from './exchange.ts';
import { acquire, failRequest, type RequestContext, requestParts, withLimits } from './handle-request.ts';
import type { HttpInstance } from './http-instance.ts';
import { ResponseWriter } from './response-writer.ts';

/** How long a `fresh` instance may go on after its response before it is discarded rather than reset. */
const IDLE_WAIT_MS = 1000;

async function idleWithin(instance: HttpInstance, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([instance.whenIdle().then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function handleRequestP3(
  ctx: RequestContext,
  req: HostRequest,
  res: HostResponse,
): Promise<void> {
  const { spec, log } = ctx;
  const where = () => `[${spec.id}] request ${ctx.id} (${req.method} ${ctx.target.pathWithQuery})`;
  const writer = new ResponseWriter(
    res,
    req.method ?? 'GET',
    (problem) => log.error(`${where()}: ${problem}`),
    () => ctx.computing(),
  );
  const lease = await acquire(ctx, req, writer);
  if (!lease) return;
  let reusable = false;
  try {
    const parts = requestParts(req, ctx.target, ctx.match, ctx.maxBodyBytes);
    const request = Request.received({ ...parts, body: receivedBody(parts.body, parts.trailers) });
    const handle = lease.instance.handleP3 as (request: Request) => Promise<Response>;
    // The deadline covers the body too: a 0.3 guest writes it after `handle` returned.
    reusable = await withLimits(ctx, lease.instance, async () => {
      let response: Response;
      try {
        response = await handle(request);
      } catch (e) {
        if (!(e instanceof ComponentError)) throw e;
        const code = e.payload as ErrorCode;
        log.error(`${where()}: the component answered with error ${JSON.stringify(code)}`);
        writer.fail(500, `Internal Server Error: ${code.tag}`);
        return true;
      }
      const out = new OutgoingResponse(response.getHeaders());
      out.setStatusCode(response.getStatusCode());
      const sent = response.sent as SentBody;
      if (sent.contents === undefined) {
        writer.accept(out);
        sent.done({ tag: 'ok' });
        return true;
      }
      const body = out.body();
      writer.accept(out);
      return sendGuestBody(sent, body);
    });
    // A guest goes on briefly after its body ends (to EXIT); a `fresh` instance is reset only
    // once it is idle, and one still busy after a while is discarded instead. A reused one serves
    // others meanwhile, so it is not waited for.
    if (reusable && ctx.pool.resets) reusable = await idleWithin(lease.instance, IDLE_WAIT_MS);
  } catch (e) {
    failRequest(ctx, req, writer, where, e);
  } finally {
    lease.release({ reusable });
  }
}
