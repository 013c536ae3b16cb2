/**
 * What the HTTP core needs of one request and its response, whatever carries them. Node's
 * IncomingMessage and ServerResponse satisfy these as they are (`skiff up` passes them straight
 * through, so the hot path pays for no wrapper); the fetch adapter (fetch-exchange.ts) implements
 * them over a Web `Request` and `Response` for embedders. The core imports no `node:http` type.
 */
import type { Readable, Writable } from 'node:stream';

/** The peer's and the local address, when a socket carries the request. */
export interface ExchangeEndpoints {
  localAddress?: string | undefined;
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/** A request: its head as the client sent it, and its body as a paused-mode Readable. */
export interface HostRequest extends Readable {
  method?: string | undefined;
  /** The request target as sent: origin form (`/path?q`) or absolute form. */
  url?: string | undefined;
  /** Names and values alternating, in the client's order and case. */
  rawHeaders: string[];
  rawTrailers: string[];
  headers: Record<string, string | string[] | undefined>;
  socket: ExchangeEndpoints;
}

/** The host's side of a response: a head, then body bytes with backpressure, then trailers. */
export interface HostResponse extends Writable {
  writeHead(status: number, headers?: Record<string, string> | string[]): this;
  flushHeaders(): void;
  addTrailers(trailers: [string, string][] | Record<string, string>): void;
  readonly headersSent: boolean;
  statusCode: number;
  /** The connection, when there is one: a failed response after its head cuts it (destroySoon). */
  readonly socket: { destroySoon(): void } | null;
}
