/**
 * The HTTP core's request and response over Web `Request` and `Response` (the fetch adapter): an
 * embedder's `fetch(request)` gets the same routing, limits and response rules as `skiff up`,
 * in-process, with no socket. The response resolves when its head is committed (as node:http would
 * send it); its body then streams with backpressure: the guest waits while the reader does not read.
 */
import { Readable, Writable } from 'node:stream';
import type { HostRequest, HostResponse } from './exchange.ts';

export interface FetchRequestInit {
  /** What the guest sees as the client's address (`skiff-client-addr`); default 127.0.0.1:0. */
  clientAddress?: string | undefined;
}

/** `host:port` into its parts, for a socket-shaped view of the client's address. */
function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  return match ? { host: match[1] as string, port: Number(match[2]) } : { host: address, port: 0 };
}

export function hostRequestOf(request: Request, init: FetchRequestInit = {}): HostRequest {
  const url = new URL(request.url);
  const rawHeaders: string[] = [];
  const headers: Record<string, string> = {};
  // A Web Request never carries Host: its authority is the URL's, as a client would have sent it.
  if (!request.headers.has('host')) {
    rawHeaders.push('host', url.host);
    headers.host = url.host;
  }
  for (const [name, value] of request.headers) {
    rawHeaders.push(name, value);
    headers[name] = value;
  }
  const body = request.body
    ? Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>)
    : Readable.from([]);
  const client = splitAddress(init.clientAddress ?? '127.0.0.1:0');
  return Object.assign(body, {
    method: request.method,
    url: `${url.pathname}${url.search}`,
    rawHeaders,
    rawTrailers: [],
    headers,
    socket: { remoteAddress: client.host, remotePort: client.port },
  }) as HostRequest;
}

/** Statuses whose Web Response must have a null body (RFC 9110 §6.4.1, Fetch's null body status). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** How much of the body is queued for the reader before the guest waits. */
const BODY_WINDOW = 64 * 1024;

/**
 * A HostResponse whose committed head becomes a Web Response. Trailers have no place in a Web
 * Response and are dropped; a response cut after its head (the guest failed mid-body) errors the
 * body stream, so the reader learns it is incomplete, as a cut connection tells an HTTP client.
 */
export class FetchResponse extends Writable implements HostResponse {
  statusCode = 200;
  #head: string[] = [];
  #delivered = false;
  readonly #method: string;
  readonly #resolve: (response: Response) => void;
  readonly #reject: (error: Error) => void;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** A write waiting for the reader to make room. */
  #waiting: (() => void) | undefined;
  readonly response: Promise<Response>;

  constructor(method: string) {
    super();
    this.#method = method;
    const { promise, resolve, reject } = Promise.withResolvers<Response>();
    this.response = promise;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  get headersSent(): boolean {
    return this.#delivered;
  }

  /** Only the connection-level cut is asked of it; there is no connection, so the body fails. */
  get socket(): { destroySoon(): void } {
    return { destroySoon: () => this.destroy(new Error('the component did not finish its response')) };
  }

  writeHead(status: number, headers: Record<string, string> | string[] = {}): this {
    if (this.#delivered) throw new Error('the response head was already sent');
    this.statusCode = status;
    this.#head = Array.isArray(headers) ? headers : Object.entries(headers).flat();
    return this;
  }

  flushHeaders(): void {
    this.#deliver();
  }

  addTrailers(): void {}

  #deliver(): void {
    if (this.#delivered) return;
    this.#delivered = true;
    const headers = new Headers();
    for (let i = 0; i + 1 < this.#head.length; i += 2)
      headers.append(this.#head[i] as string, this.#head[i + 1] as string);
    const status = this.statusCode;
    const bodyless = NULL_BODY_STATUS.has(status) || this.#method === 'HEAD';
    const body = bodyless
      ? null
      : new ReadableStream<Uint8Array>(
          {
            start: (controller) => {
              this.#controller = controller;
            },
            pull: () => this.#makeRoom(),
            cancel: () => {
              this.destroy();
            },
          },
          { highWaterMark: BODY_WINDOW, size: (chunk) => chunk.byteLength },
        );
    this.#resolve(new Response(body, { status, headers }));
  }

  #makeRoom(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#deliver();
    const controller = this.#controller;
    // A bodyless response (HEAD, 204, 304) discards what it is given, as Node's writer does.
    if (!controller) {
      done();
      return;
    }
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((controller.desiredSize ?? 0) > 0) done();
    else this.#waiting = () => done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#deliver();
    this.#controller?.close();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const failure = error ?? new Error('the response was cut off before its end');
    if (!this.#delivered) this.#reject(failure);
    else if (!this.writableFinished) {
      try {
        this.#controller?.error(failure);
      } catch {}
    }
    this.#makeRoom();
    done();
  }
}
