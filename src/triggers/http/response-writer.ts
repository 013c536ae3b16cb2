/**
 * The host's side of a guest's response: the guest chooses a status, headers and body bytes; the
 * host owns the framing. The head is committed (handed to Node) only when the first body byte is
 * written, when the guest finishes, or one event-loop turn after the guest set the response —
 * whichever comes first; a turn the guest spent suspended between two time slices (it was
 * computing, not waiting) does not count — so a quick response goes out in one write, a slow body
 * does not hold back its head, and a guest that fails before anything was committed still gets a clean 500/504
 * instead of a cut connection.
 */
import type { BodyTarget } from '../../wasi/http/bodies.ts';
import { fieldsToNode, fieldsToPairs } from '../../wasi/http/fields.ts';
import type { OutgoingResponse } from '../../wasi/http/messages.ts';
import { writableSink } from '../../wasi/io/node-streams.ts';
import { StreamFailure } from '../../wasi/io/streams.ts';
import type { HostResponse } from './exchange.ts';

/** Statuses a guest may send as the final response; 1xx are interim and belong to the host. */
const isFinalStatus = (status: number): boolean => status >= 200 && status <= 599;

/** 1xx, 204 and 304 never carry a body, and a HEAD response's length is that of the GET's body. */
const bodyless = (method: string, status: number): boolean =>
  method === 'HEAD' || status === 204 || status === 304;

/**
 * After the head is out, the only honest signal of a failed response is a connection closed before
 * the body's end. The bytes already written are flushed first, so the client sees how far it got.
 */
function cutResponse(res: HostResponse): void {
  const socket = res.socket;
  if (socket) socket.destroySoon();
  else res.destroy();
}

export class ResponseWriter {
  readonly #res: HostResponse;
  readonly #method: string;
  /** Says what the guest did wrong, for the host log (the writer knows no component or request). */
  readonly #report: (problem: string) => void;
  #response: OutgoingResponse | undefined;
  #committed = false;
  /** The host has ended or failed the response: a late write from the guest fails. */
  #closed = false;

  /** Whether the guest is between two time slices of a computation (time-slice.ts). */
  readonly #computing: () => boolean;

  constructor(
    res: HostResponse,
    method: string,
    report: (problem: string) => void,
    computing: () => boolean = () => false,
  ) {
    this.#res = res;
    this.#method = method;
    this.#report = report;
    this.#computing = computing;
  }

  /** True once the head is Node's: from then on a failure can only cut the connection. */
  get committed(): boolean {
    return this.#committed;
  }

  /** The guest set its response (`response-outparam.set` with `ok`, or a 0.3 handler returned it). */
  accept(response: OutgoingResponse): void {
    const status = response.statusCode();
    const body = response.outgoingBody;
    if (!isFinalStatus(status)) {
      const problem = `the component answered with status ${status}; only final statuses (200–599) may be sent`;
      this.#report(problem);
      if (response.bodyTaken) body.attach(refusedTarget(problem));
      this.fail(500, 'Internal Server Error: the component sent an invalid status');
      return;
    }
    this.#response = response;
    const noBodyOnTheWire = bodyless(this.#method, status);
    // A response set without its body taken can never get one: it is complete now.
    if (!response.bodyTaken) {
      if (body.declaredLength && !noBodyOnTheWire) {
        this.#report(
          `the component declared content-length: ${body.declaredLength} but never took the response body`,
        );
        this.fail(500, 'Internal Server Error: the component declared a body it did not send');
      } else this.#endWithoutBody();
      return;
    }
    if (noBodyOnTheWire) body.waiveLength();
    body.attach(this.#bodyTarget());
    if (!this.#closed) setImmediate(() => this.#flushHead());
  }

  #endWithoutBody(): void {
    this.#closed = true;
    if (this.#commit(true)) this.#res.end();
  }

  /**
   * The request failed (trap, timeout, no response): a plain answer while nothing is committed,
   * a cut connection after.
   */
  fail(status: number, text: string, headers: Record<string, string> = {}): void {
    this.#closed = true;
    const res = this.#res;
    if (this.#committed) {
      if (!res.writableFinished) cutResponse(res);
      return;
    }
    this.#committed = true;
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(`${text}\n`);
  }

  /**
   * Hands the head to Node; false (and a 500 sent) when Node refuses it. `complete`: the response
   * has no body at all, so it says `content-length: 0` rather than opening a chunked body.
   */
  #commit(complete = false): boolean {
    if (this.#committed) return true;
    const response = this.#response as OutgoingResponse;
    const status = response.statusCode();
    let headers = fieldsToNode(response.headers());
    // RFC 9110 §8.6: no Content-Length in a 204.
    if (status === 204) headers = stripContentLength(headers);
    else if (complete && !bodyless(this.#method, status) && !hasName(headers, 'content-length'))
      headers.push('content-length', '0');
    try {
      this.#res.writeHead(status, headers);
    } catch (e) {
      // Fields already apply Node's rules; this is the last line of defence, not a path we expect.
      this.#report(`invalid response head: ${(e as Error).message}`);
      this.fail(500, 'Internal Server Error: the component sent an invalid response head');
      return false;
    }
    this.#committed = true;
    return true;
  }

  #flushHead(): void {
    if (this.#committed || this.#closed || this.#res.destroyed) return;
    // A computing guest goes on within a turn or two, as it would have without slicing.
    if (this.#computing()) {
      setImmediate(() => this.#flushHead());
      return;
    }
    if (this.#commit()) this.#res.flushHeaders();
  }

  #bodyTarget(): BodyTarget {
    const res = this.#res;
    const sink = writableSink(res);
    const ended = () => new StreamFailure('the response was already ended by the host');
    return {
      sink: {
        capacity: () => {
          if (this.#closed) throw ended();
          return sink.capacity();
        },
        write: (bytes) => {
          if (this.#closed) throw ended();
          if (!this.#commit()) throw ended();
          sink.write(bytes);
        },
        whenWritable: () => sink.whenWritable(),
      },
      finish: (trailers) => {
        if (this.#closed) return;
        this.#closed = true;
        if (!this.#commit()) return;
        if (trailers) res.addTrailers(fieldsToPairs(trailers));
        res.end();
      },
      abort: (reason) => {
        if (this.#closed) return;
        this.#report(reason);
        this.fail(500, 'Internal Server Error: the component did not finish its response');
      },
    };
  }
}

/** Where the body of a refused response goes: every write fails, so the guest stops early. */
function refusedTarget(problem: string): BodyTarget {
  const refused = () => new StreamFailure(`the response was refused: ${problem}`);
  return {
    sink: {
      capacity: () => {
        throw refused();
      },
      write: () => {
        throw refused();
      },
      whenWritable: () => Promise.resolve(),
    },
    finish: () => {},
    abort: () => {},
  };
}

const hasName = (flat: string[], name: string): boolean =>
  flat.some((entry, i) => i % 2 === 0 && entry === name);

function stripContentLength(flat: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] !== 'content-length') kept.push(flat[i] as string, flat[i + 1] as string);
  }
  return kept;
}
