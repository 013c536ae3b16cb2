/**
 * Sending a body a WASI 0.3 guest built (its `stream<u8>` and trailers future) through a 0.2
 * `OutgoingBody`, which holds it to its declared content-length: the HTTP trigger sends responses
 * this way, the client requests. The guest learns how it ended through the future `new` returned.
 */
import type { OutgoingBody } from '../http/bodies.ts';
import { OutgoingBody as Body } from '../http/bodies.ts';
import type { Fields } from '../http/fields.ts';
import type { ErrorCode } from '../http/messages.ts';
import { writeAll } from '../io/streams.ts';
import type { SentBody } from './http-types.ts';

/** The error code a failure carries (a StreamFailure's, a ResultError's payload), else internal-error. */
export function errorCodeOf(e: unknown): ErrorCode {
  const failure = (e ?? {}) as { payload?: unknown; codes?: { http?: ErrorCode } };
  return (
    failure.codes?.http ??
    (failure.payload as ErrorCode | undefined) ?? {
      tag: 'internal-error',
      val: e instanceof Error ? e.message : String(e),
    }
  );
}

/** Pumps the guest's stream into `body`, then its trailers; resolves true when the body went out whole. */
export async function sendGuestBody(sent: SentBody, body: OutgoingBody): Promise<boolean> {
  const contents = sent.contents as NonNullable<SentBody['contents']>;
  const sink = body.hostSink();
  try {
    for await (const chunk of contents) await writeAll(sink, chunk as Uint8Array);
  } catch (e) {
    contents.close();
    body[Symbol.dispose]();
    sent.done({ tag: 'err', val: errorCodeOf(e) });
    return false;
  }
  const trailers = await sent.trailers.read();
  if ('dropped' in trailers || (trailers.value as { tag: string }).tag === 'err') {
    body[Symbol.dispose]();
    sent.done({ tag: 'err', val: { tag: 'HTTP-response-incomplete' } });
    return false;
  }
  try {
    Body.finish(body, (trailers.value as { val: Fields | undefined }).val);
  } catch (e) {
    sent.done({ tag: 'err', val: errorCodeOf(e) });
    return false;
  }
  sent.done({ tag: 'ok' });
  return true;
}
