/**
 * `wasi:http/client@0.3`: a guest's request goes out through the same outbound path as 0.2's
 * (`outgoing-handler.ts`): only to granted destinations, never to internal addresses unless granted
 * by address, the Host header the host's, the request body held to its content-length. The
 * request's stream is pumped while the response is awaited, so bodies stream both ways.
 */
import {
  type FutureIncomingResponse,
  OutgoingRequest,
  RequestOptions as RequestOptions2,
} from '../http/messages.ts';
import { ResultError } from '../result-error.ts';
import type { WasiHttpOutgoingHandler } from '../shapes/http.ts';
import { sendGuestBody } from './http-body.ts';
import { type Request, type RequestOptions, Response, receivedBody } from './http-types.ts';

function options2(options: RequestOptions | undefined): RequestOptions2 | undefined {
  if (!options) return undefined;
  const o = new RequestOptions2();
  o.setConnectTimeout(options.getConnectTimeout());
  o.setFirstByteTimeout(options.getFirstByteTimeout());
  o.setBetweenBytesTimeout(options.getBetweenBytesTimeout());
  return o;
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
      const out = new OutgoingRequest(request.getHeaders());
      out.setMethod(request.getMethod());
      out.setPathWithQuery(request.getPathWithQuery());
      out.setScheme(request.getScheme());
      out.setAuthority(request.getAuthority());
      const body = sent.contents ? out.body() : undefined;
      // Throws the error code (a ResultError) when the destination is not granted.
      const future = outgoing.handle(out, options2(request.getOptions()));
      if (body) void sendGuestBody(sent, body);
      else sent.done({ tag: 'ok' });
      // Skiff's own outgoing handler made it: its class can be awaited.
      const outcome = await (future as FutureIncomingResponse).settled();
      if (outcome.tag === 'err') throw new ResultError(outcome.val);
      const response = outcome.val;
      const { source, trailers } = response.consume().parts;
      return Response.received(response.status(), response.headers(), receivedBody(source, trailers));
    },
  };
}
