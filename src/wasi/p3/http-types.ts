/**
 * `wasi:http/types@0.3`: requests and responses whose bodies are a `stream<u8>` plus a future of
 * the trailers, and `fields` (0.2's `Fields`, which carries the 0.3 names too, with the same
 * header rules: no forbidden or hop-by-hop header, valid values, one content-length).
 * A request the host received exposes the client's body as a host stream; a response a guest
 * builds hands the host the guest's stream, which the HTTP trigger sends (handle-request-p3.ts).
 */
import {
  FutureReader,
  HostFuture,
  HostStream,
  type ReadableStreamSource,
  StreamReader,
} from '../../engine/binding/canonical-abi/streams.ts';
import { Fields } from '../http/fields.ts';
import { type ErrorCode, type Method, methodFromString, type Scheme } from '../http/messages.ts';
import type { ByteSource } from '../io/streams.ts';
import { ResultError } from '../result-error.ts';
import { validAuthority, validMethod, validPathWithQuery, validScheme } from './request-target-rules.ts';

/** `result<option<trailers>, error-code>`, what the trailers future carries. */
export type TrailersResult = { tag: 'ok'; val: Fields | undefined } | { tag: 'err'; val: ErrorCode };
/** `result<_, error-code>`: how sending or receiving a body ended. */
export type Transmission = { tag: 'ok' } | { tag: 'err'; val: ErrorCode };

/** A body as the guest reads it: the bytes, then the trailers. */
export interface BodyParts {
  contents: ReadableStreamSource;
  trailers: HostFuture;
}

/** The body of a message the host received, readable once through `consume-body`. */
export function receivedBody(source: ByteSource, trailers: () => Promise<Fields | undefined>): BodyParts {
  let failed: ErrorCode | undefined;
  const next = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      try {
        const got = source.read(65536);
        if (got === 'eof') return undefined;
        if (got.length > 0) return got;
      } catch (e) {
        failed = (e as { codes?: { http?: ErrorCode } }).codes?.http ?? {
          tag: 'internal-error',
          val: (e as Error).message,
        };
        return undefined;
      }
      await source.whenReadable();
    }
  };
  const ended = Promise.withResolvers<void>();
  const contents = new HostStream(
    () =>
      next().then((chunk) => {
        if (chunk === undefined) ended.resolve();
        return chunk;
      }),
    () => {
      source.close?.();
      ended.resolve();
    },
  );
  const outcome = ended.promise.then(
    async (): Promise<TrailersResult> =>
      failed ? { tag: 'err', val: failed } : { tag: 'ok', val: (await trailers())?.freeze() },
  );
  return { contents, trailers: new HostFuture(outcome) };
}

export class RequestOptions {
  #connect: bigint | undefined;
  #firstByte: bigint | undefined;
  #betweenBytes: bigint | undefined;
  #immutable = false;
  getConnectTimeout(): bigint | undefined {
    return this.#connect;
  }
  setConnectTimeout(d: bigint | undefined): void {
    this.#checkMutable();
    this.#connect = d;
  }
  getFirstByteTimeout(): bigint | undefined {
    return this.#firstByte;
  }
  setFirstByteTimeout(d: bigint | undefined): void {
    this.#checkMutable();
    this.#firstByte = d;
  }
  getBetweenBytesTimeout(): bigint | undefined {
    return this.#betweenBytes;
  }
  setBetweenBytesTimeout(d: bigint | undefined): void {
    this.#checkMutable();
    this.#betweenBytes = d;
  }
  /** @internal Once a request owns them. */
  freeze(): this {
    this.#immutable = true;
    return this;
  }
  #checkMutable(): void {
    if (this.#immutable) throw new ResultError({ tag: 'immutable' }, 'the options belong to a request');
  }
  clone(): RequestOptions {
    const copy = new RequestOptions();
    copy.#connect = this.#connect;
    copy.#firstByte = this.#firstByte;
    copy.#betweenBytes = this.#betweenBytes;
    return copy;
  }
}

/**
 * A body one guest wrote, for another to read (a middleware and the handler behind it): the same
 * readable end, unread, and the trailers passed on. The writer hears `ok` once they were.
 */
function bodyFromSent(sent: SentBody): BodyParts {
  const contents = sent.contents?.source ?? new HostStream(async () => undefined);
  const trailers = sent.trailers.read().then((t): TrailersResult => {
    if ('dropped' in t) {
      sent.done({ tag: 'err', val: { tag: 'HTTP-response-incomplete' } });
      return { tag: 'err', val: { tag: 'HTTP-response-incomplete' } };
    }
    sent.done({ tag: 'ok' });
    return t.value as TrailersResult;
  });
  return { contents, trailers: new HostFuture(trailers) };
}

/** A received body a guest passes on unread (a proxy returning the response it got), to send as is. */
function sentFromReceived(parts: BodyParts): SentBody {
  return {
    contents: new StreamReader(parts.contents),
    trailers: new FutureReader(parts.trailers),
    done: () => {},
  };
}

/** A body a guest wrote, as the host reads it: its stream (none: empty) and its trailers. */
export interface SentBody {
  contents: StreamReader | undefined;
  trailers: FutureReader;
  /** Tells the guest how sending ended (the future `new` returned). */
  done(outcome: Transmission): void;
}

function sentBody(contents: StreamReader | undefined, trailers: FutureReader): [SentBody, HostFuture] {
  const outcome = Promise.withResolvers<Transmission>();
  return [{ contents, trailers, done: (o) => outcome.resolve(o) }, new HostFuture(outcome.promise)];
}

/** A setter's value, or `Err(())` to the guest when the rules refuse it. */
function valid<T>(value: T | undefined): T {
  if (value === undefined) throw new ResultError(undefined);
  return value;
}

const taken = (what: string) => new ResultError(undefined, `the ${what} body was already consumed`);

/**
 * The one body a request or response carries: received by the host (a client's request, a server's
 * response) or written by a guest (its stream and trailers). Either way it is consumed once, by
 * `consume-body`, or sent by the host.
 */
class MessageBody {
  #received: BodyParts | undefined;
  #sent: SentBody | undefined;

  constructor(body: { received: BodyParts } | { sent: SentBody } | undefined) {
    if (body && 'received' in body) this.#received = body.received;
    else if (body) this.#sent = body.sent;
  }

  /** `consume-body`: what was received, or — handed on by a middleware — what another guest wrote. */
  consume(what: string): [ReadableStreamSource, HostFuture] {
    const body = this.#received ?? (this.#sent && bodyFromSent(this.#sent));
    if (!body) throw taken(what);
    this.#received = undefined;
    this.#sent = undefined;
    return [body.contents, body.trailers];
  }

  /** What the host sends: a guest's own body, or a received one it passes on (a proxy). */
  toSend(): SentBody | undefined {
    if (!this.#sent && this.#received) {
      this.#sent = sentFromReceived(this.#received);
      this.#received = undefined;
    }
    return this.#sent;
  }
}

export class Request {
  #method: Method = { tag: 'get' };
  #pathWithQuery: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  readonly #headers: Fields;
  readonly #options: RequestOptions | undefined;
  #body = new MessageBody(undefined);

  private constructor(headers: Fields, options: RequestOptions | undefined) {
    this.#headers = headers.freeze();
    this.#options = options;
  }

  /** The request a client sent to the host, as the handler gets it. */
  static received(init: {
    method: string;
    pathWithQuery: string;
    scheme: Scheme;
    authority: string | undefined;
    headers: Fields;
    body: BodyParts;
  }): Request {
    const request = new Request(init.headers, undefined);
    request.#method = methodFromString(init.method);
    request.#pathWithQuery = init.pathWithQuery;
    request.#scheme = init.scheme;
    request.#authority = init.authority;
    request.#body = new MessageBody({ received: init.body });
    return request;
  }

  static new(
    headers: Fields,
    contents: StreamReader | undefined,
    trailers: FutureReader,
    options: RequestOptions | undefined,
  ): [Request, HostFuture] {
    // The options are the request's from now on: `get-options` hands them back immutable.
    const request = new Request(headers, options?.freeze());
    const [sent, outcome] = sentBody(contents, trailers);
    request.#body = new MessageBody({ sent });
    return [request, outcome];
  }

  getMethod(): Method {
    return this.#method;
  }
  setMethod(method: Method): void {
    this.#method = valid(validMethod(method));
  }
  getPathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }
  setPathWithQuery(value: string | undefined): void {
    this.#pathWithQuery = value === undefined ? undefined : valid(validPathWithQuery(value));
  }
  getScheme(): Scheme | undefined {
    return this.#scheme;
  }
  setScheme(value: Scheme | undefined): void {
    this.#scheme = value === undefined ? undefined : valid(validScheme(value));
  }
  getAuthority(): string | undefined {
    return this.#authority;
  }
  setAuthority(value: string | undefined): void {
    this.#authority = value === undefined ? undefined : valid(validAuthority(value));
  }
  getOptions(): RequestOptions | undefined {
    return this.#options;
  }
  getHeaders(): Fields {
    return this.#headers;
  }

  /** The body, once (see MessageBody.consume). */
  static consumeBody(request: Request, _done: FutureReader): [ReadableStreamSource, HostFuture] {
    return request.#body.consume('request');
  }

  /** @internal What the request sends (for the client). */
  get sent(): SentBody | undefined {
    return this.#body.toSend();
  }
}

export class Response {
  #status = 200;
  readonly #headers: Fields;
  readonly #body: MessageBody;

  private constructor(headers: Fields, body: MessageBody) {
    this.#headers = headers.freeze();
    this.#body = body;
  }

  static new(
    headers: Fields,
    contents: StreamReader | undefined,
    trailers: FutureReader,
  ): [Response, HostFuture] {
    const [sent, outcome] = sentBody(contents, trailers);
    return [new Response(headers, new MessageBody({ sent })), outcome];
  }

  /** A response the host received for a guest's request (the client). */
  static received(status: number, headers: Fields, body: BodyParts): Response {
    const response = new Response(headers, new MessageBody({ received: body }));
    response.#status = status;
    return response;
  }

  getStatusCode(): number {
    return this.#status;
  }
  setStatusCode(status: number): void {
    // RFC 9110 §15: three digits, 100 to 599 (1xx are refused later, when the response is sent).
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new ResultError(undefined);
    this.#status = status;
  }
  getHeaders(): Fields {
    return this.#headers;
  }

  /** The body, once (see MessageBody.consume). */
  static consumeBody(response: Response, _done: FutureReader): [ReadableStreamSource, HostFuture] {
    return response.#body.consume('response');
  }

  /** @internal The body the HTTP trigger sends. */
  get sent(): SentBody | undefined {
    return this.#body.toSend();
  }
}

export const httpTypesP3 = { Fields, Request, Response, RequestOptions };
