/**
 * Request and response bodies. An incoming body reads from a ByteSource; an outgoing body buffers
 * (bounded) until the host attaches where the bytes go — a client socket or an outbound request.
 */
import { Pollable } from '../io/poll.ts';
import { type ByteSink, type ByteSource, InputStream, OutputStream, StreamFailure } from '../io/streams.ts';
import { GuestContractError, ResultError } from '../result-error.ts';
import type { Fields } from './fields.ts';

type TrailersResult =
  | { tag: 'ok'; val: { tag: 'ok'; val: Fields | undefined } }
  | { tag: 'err'; val: undefined };

export class FutureTrailers {
  readonly #trailers: Promise<Fields | undefined>;
  #value: Fields | undefined;
  #settled = false;
  #taken = false;
  constructor(trailers: Promise<Fields | undefined>) {
    this.#trailers = trailers.then((t) => {
      this.#value = t;
      this.#settled = true;
      return t;
    });
  }
  subscribe(): Pollable {
    return new Pollable({ isReady: () => this.#settled, whenReady: () => this.#trailers.then(() => {}) });
  }
  get(): TrailersResult | undefined {
    if (!this.#settled) return undefined;
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: this.#value } };
  }
}

export class IncomingBody {
  readonly #source: ByteSource;
  readonly #trailers: () => Promise<Fields | undefined>;
  #streamTaken = false;
  constructor(
    source: ByteSource,
    trailers: () => Promise<Fields | undefined> = () => Promise.resolve(undefined),
  ) {
    this.#source = source;
    this.#trailers = trailers;
  }
  stream(): InputStream {
    if (this.#streamTaken) throw new ResultError(undefined, 'the body stream was already taken');
    this.#streamTaken = true;
    return new InputStream(this.#source);
  }
  static finish(body: IncomingBody): FutureTrailers {
    return new FutureTrailers(body.#trailers());
  }
  /** @internal The bytes and trailers, for a WASI 0.3 message made of this body. */
  get parts(): { source: ByteSource; trailers: () => Promise<Fields | undefined> } {
    return { source: this.#source, trailers: this.#trailers };
  }
}

/** Where an outgoing body's bytes end up, attached by the host once headers can be sent. */
export interface BodyTarget {
  sink: ByteSink;
  finish(trailers: Fields | undefined): void;
  /** The guest dropped the body without finishing it: the peer must see an incomplete message. */
  abort(reason: string): void;
}

/** What a guest may write before the head is sent; past this it waits. */
const PENDING_LIMIT = 1 << 20;

/** The `error-code` a body that breaks its declared length gets: which side it is decides the name. */
export type BodySizeError = 'HTTP-request-body-size' | 'HTTP-response-body-size';

/**
 * The body of a request or response a guest builds. When its headers declare a `content-length`,
 * the host holds the guest to it: a write past the length fails (nothing past it reaches the
 * wire), and finishing short of it fails and aborts the message — never a forged next message on
 * a kept-alive connection, never a peer waiting for bytes that will not come.
 */
export class OutgoingBody {
  #target: BodyTarget | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #attached: PromiseWithResolvers<void> = Promise.withResolvers();
  #state: 'open' | 'finished' | 'aborted' = 'open';
  #trailers: Fields | undefined;
  #streamTaken = false;
  readonly #declaredLength: number | undefined;
  readonly #sizeError: BodySizeError;
  /** HEAD responses, 204 and 304 carry no body whatever their content-length says. */
  #lengthWaived = false;
  #written = 0;
  #lengthProblem: string | undefined;

  constructor(declaredLength: number | undefined, sizeError: BodySizeError) {
    this.#declaredLength = declaredLength;
    this.#sizeError = sizeError;
  }

  write(): OutputStream {
    if (this.#streamTaken) throw new ResultError(undefined, 'the body stream was already taken');
    this.#streamTaken = true;
    return new OutputStream(this.#sink());
  }

  static finish(body: OutgoingBody, trailers: Fields | undefined): void {
    if (body.#state !== 'open') throw new GuestContractError('outgoing-body.finish called twice');
    const short = body.#target ? body.#shortfall() : undefined;
    if (short) {
      body.#abort(short);
      throw new ResultError({ tag: body.#sizeError, val: BigInt(body.#written) }, short);
    }
    body.#state = 'finished';
    body.#trailers = trailers?.freeze();
    body.#target?.finish(body.#trailers);
  }

  [Symbol.dispose](): void {
    if (this.#state !== 'open') return;
    const dropped = 'the guest dropped the body without finishing it';
    this.#abort(this.#lengthProblem ? `${this.#lengthProblem}; then ${dropped}` : dropped);
  }

  get state(): 'open' | 'finished' | 'aborted' {
    return this.#state;
  }

  /** @internal The `content-length` the message's headers declare, if any. */
  get declaredLength(): number | undefined {
    return this.#declaredLength;
  }

  /** @internal The first way the guest broke its declared content-length, for the host's log. */
  get lengthProblem(): string | undefined {
    return this.#lengthProblem;
  }

  /**
   * @internal The body's bytes written by the host on a guest's behalf (WASI 0.3, where the guest
   * hands over a stream): the same length rules as the guest's own output stream.
   */
  hostSink(): ByteSink {
    return this.#sink();
  }

  /** @internal The message has no body on the wire (HEAD, 204, 304): its content-length is not the body's. */
  waiveLength(): void {
    this.#lengthWaived = true;
  }

  /**
   * @internal Connects the body to its destination and hands over what was buffered. A body the
   * guest already finished short of its declared length is aborted instead.
   */
  attach(target: BodyTarget): void {
    this.#target = target;
    this.#attached.resolve();
    // A message that can no longer be whole sends none of its bytes: the host may still answer 500.
    const short = this.#state === 'finished' ? this.#shortfall() : undefined;
    if (short) {
      this.#abort(short);
      return;
    }
    if (this.#state === 'aborted') {
      target.abort(this.#lengthProblem ?? 'the guest dropped the body without finishing it');
      return;
    }
    for (const chunk of this.#pending) target.sink.write(chunk);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#state === 'finished') target.finish(this.#trailers);
  }

  #shortfall(): string | undefined {
    if (this.#declaredLength === undefined || this.#lengthWaived) return undefined;
    if (this.#written === this.#declaredLength) return undefined;
    return this.#noteProblem(
      `the body ended after ${this.#written} bytes, but its content-length declares ${this.#declaredLength}`,
    );
  }

  #noteProblem(problem: string): string {
    this.#lengthProblem ??= problem;
    return problem;
  }

  #abort(reason: string): void {
    this.#state = 'aborted';
    this.#target?.abort(reason);
  }

  #sink(): ByteSink {
    return {
      capacity: () =>
        this.#target ? this.#target.sink.capacity() : Math.max(0, PENDING_LIMIT - this.#pendingBytes),
      write: (bytes) => {
        if (this.#state !== 'open') throw new GuestContractError('write to a body after it was finished');
        const declared = this.#declaredLength;
        if (declared !== undefined && !this.#lengthWaived && this.#written + bytes.length > declared) {
          const problem = this.#noteProblem(
            `a write of ${bytes.length} bytes after ${this.#written} would pass the declared content-length of ${declared}`,
          );
          throw new StreamFailure(problem, {
            http: { tag: this.#sizeError, val: BigInt(this.#written + bytes.length) },
          });
        }
        this.#written += bytes.length;
        if (this.#target) return this.#target.sink.write(bytes);
        this.#pending.push(bytes);
        this.#pendingBytes += bytes.length;
      },
      whenWritable: () => (this.#target ? this.#target.sink.whenWritable() : this.#attached.promise),
      flush: () => this.#target?.sink.flush?.(),
    };
  }
}

export const emptyTrailers = (): FutureTrailers => new FutureTrailers(Promise.resolve(undefined));
