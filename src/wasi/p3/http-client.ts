/**
 * `wasi:http/client@0.3`: a guest's request goes out through the same outbound path as 0.2's
 * (`outgoing-handler.ts`): only to granted destinations, never to internal addresses unless granted
 * by address, the Host header the host's, the request body held to its content-length. The
 * request's stream is pumped while the response is awaited, so bodies stream both ways.
 */

import type { OutgoingBody } from '../http/bodies.ts';
import {
  type ErrorCode,
  type FutureIncomingResponse,
  OutgoingRequest,
  RequestOptions as RequestOptions2,
} from '../http/messages.ts';
import { ResultError } from '../result-error.ts';
import type { WasiHttpOutgoingHandler } from '../shapes/http.ts';
import { errorCodeOf, sendGuestBody } from './http-body.ts';
import { type Request, type RequestOptions, Response, receivedBody } from './http-types.ts';

function options2(options: RequestOptions | undefined): RequestOptions2 | undefined {
  if (!options) return undefined;
  const o = new RequestOptions2();
  o.setConnectTimeout(options.getConnectTimeout());
  o.setFirstByteTimeout(options.getFirstByteTimeout());
  o.setBetweenBytesTimeout(options.getBetweenBytesTimeout());
  return o;
}

/** A guest's request as 0.2's outbound path takes it; values it cannot send are `HTTP-request-URI-invalid`. */
function outgoingRequest(request: Request): OutgoingRequest {
  const out = new OutgoingRequest(request.getHeaders());
  try {
    out.setMethod(request.getMethod());
    out.setPathWithQuery(request.getPathWithQuery());
    out.setScheme(request.getScheme());
    out.setAuthority(request.getAuthority());
  } catch {
    throw new ResultError<ErrorCode>({ tag: 'HTTP-request-URI-invalid' });
  }
  return out;
}

export function httpClientP3(outgoing: WasiHttpOutgoingHandler) {
  return {
    async send(request: Request): Promise<Response> {
      const sent = request.sent;
      if (!sent)
        throw new ResultError({
          tag: 'internal-error',
          val: 'a request the host received cannot be sent again',
        });
      // Whatever ends the exchange early is also how sending the request ended (first word wins).
      const fail = (code: ErrorCode): never => {
        sent.done({ tag: 'err', val: code });
        throw new ResultError(code);
      };
      let future: FutureIncomingResponse;
      let body: OutgoingBody | undefined;
      try {
        const out = outgoingRequest(request);
        body = sent.contents ? out.body() : undefined;
        // Throws the error code when the destination is not granted.
        future = outgoing.handle(out, options2(request.getOptions())) as FutureIncomingResponse;
      } catch (e) {
        return fail(errorCodeOf(e));
      }
      if (body) void sendGuestBody(sent, body);
      const outcome = await future.settled();
      if (outcome.tag === 'err') return fail(outcome.val);
      if (!body) sent.done({ tag: 'ok' });
      const response = outcome.val;
      const { source, trailers } = response.consume().parts;
      return Response.received(response.status(), response.headers(), receivedBody(source, trailers));
    },
  };
}
