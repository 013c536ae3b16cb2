/**
 * Request and response bodies. An incoming body reads from a ByteSource; an outgoing body buffers
 * (bounded) until the host attaches where the bytes go — a client socket or an outbound request.
 */
import { Pollable } from '../io/poll.ts';
import { type ByteSink, type ByteSource, InputStream, OutputStream } from '../io/streams.ts';
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

export class OutgoingBody {
  #target: BodyTarget | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #attached: PromiseWithResolvers<void> = Promise.withResolvers();
  #state: 'open' | 'finished' | 'aborted' = 'open';
  #trailers: Fields | undefined;
  #streamTaken = false;

  write(): OutputStream {
    if (this.#streamTaken) throw new ResultError(undefined, 'the body stream was already taken');
    this.#streamTaken = true;
    return new OutputStream(this.#sink());
  }

  static finish(body: OutgoingBody, trailers: Fields | undefined): void {
    if (body.#state !== 'open') throw new GuestContractError('outgoing-body.finish called twice');
    body.#state = 'finished';
    body.#trailers = trailers?.freeze();
    body.#target?.finish(body.#trailers);
  }

  [Symbol.dispose](): void {
    if (this.#state !== 'open') return;
    this.#state = 'aborted';
    this.#target?.abort('the guest dropped the body without finishing it');
  }

  get state(): 'open' | 'finished' | 'aborted' {
    return this.#state;
  }

  /** @internal Connects the body to its destination and hands over what was buffered. */
  attach(target: BodyTarget): void {
    this.#target = target;
    for (const chunk of this.#pending) target.sink.write(chunk);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#attached.resolve();
    if (this.#state === 'finished') target.finish(this.#trailers);
    if (this.#state === 'aborted') target.abort('the guest dropped the body without finishing it');
  }

  #sink(): ByteSink {
    return {
      capacity: () =>
        this.#target ? this.#target.sink.capacity() : Math.max(0, PENDING_LIMIT - this.#pendingBytes),
      write: (bytes) => {
        if (this.#state !== 'open') throw new GuestContractError('write to a body after it was finished');
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
