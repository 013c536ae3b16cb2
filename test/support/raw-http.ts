/**
 * A raw TCP client for tests that assert the exact bytes on the wire: send any bytes (malformed,
 * pipelined), read until the server closes or goes quiet.
 */
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, as latin1 text (one char per byte). */
  text: string;
  /** How the connection ended: the server closed it, reset it, or was still open when we stopped. */
  ended: 'closed' | 'reset' | 'open';
  /** Milliseconds from the first byte sent to the first byte received (undefined if none). */
  firstByteMs: number | undefined;
}

/**
 * Sends `request` to the server at `url` and collects the answer. Stops `quietMs` after the last
 * byte arrived (or after connecting, if none comes), or when the server closes.
 */
export function rawExchange(
  url: string,
  request: string | Buffer,
  options: { quietMs?: number; maxMs?: number } = {},
): Promise<RawExchange> {
  const { port, hostname } = new URL(url);
  const quietMs = options.quietMs ?? 500;
  const maxMs = options.maxMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host: hostname });
    const chunks: Buffer[] = [];
    let firstByteMs: number | undefined;
    let started = 0;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (ended: RawExchange['ended']) => {
      clearTimeout(quiet);
      clearTimeout(cap);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), ended, firstByteMs });
    };
    const cap = setTimeout(() => finish('open'), maxMs);
    const rearm = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => finish('open'), quietMs);
    };
    socket.on('connect', () => {
      started = performance.now();
      socket.write(request);
      rearm();
    });
    socket.on('data', (chunk) => {
      firstByteMs ??= performance.now() - started;
      chunks.push(chunk);
      rearm();
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') finish('reset');
      else if (chunks.length === 0 && !started) reject(e);
      else finish('reset');
    });
  });
}

/** The response heads in a raw answer, each as its status line and lower-cased header lines. */
export function responseHeads(text: string): Array<{ status: number; headers: string[] }> {
  const heads: Array<{ status: number; headers: string[] }> = [];
  for (const match of text.matchAll(/HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g)) {
    const lines = (match[2] as string).split('\r\n').filter(Boolean);
    heads.push({ status: Number(match[1]), headers: lines.map((l) => l.toLowerCase()) });
  }
  return heads;
}

/** The answer with its `date:` line (the one part that changes from run to run) blanked. */
export const withoutDate = (text: string): string => text.replace(/\r\ndate: [^\r\n]*/gi, '\r\ndate: -');

export interface ParsedResponse {
  status: number;
  /** Lower-cased names, values joined with ", " when repeated. */
  headers: Map<string, string>;
  body: string;
  /** False when the connection ended inside the body (a cut response). */
  complete: boolean;
}

/**
 * Splits a raw answer into its responses, framed the way a client frames them (content-length,
 * chunked, or to the end for a response without either). For `HEAD` answers pass `bodiless`.
 */
export function parseResponses(text: string, bodiless: boolean[] = []): ParsedResponse[] {
  const responses: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const [statusLine, ...lines] = text.slice(at, headEnd).split('\r\n');
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
    at = headEnd + 4;
    let body = '';
    let complete = true;
    const noBody = bodiless[responses.length] || status === 204 || status === 304 || status < 200;
    if (noBody) {
      // nothing
    } else if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
      complete = false;
      for (;;) {
        const sizeEnd = text.indexOf('\r\n', at);
        if (sizeEnd < 0) break;
        const size = Number.parseInt(text.slice(at, sizeEnd), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          const trailerEnd = text.indexOf('\r\n\r\n', sizeEnd);
          complete = trailerEnd >= 0;
          at = complete ? trailerEnd + 4 : text.length;
          break;
        }
        if (sizeEnd + 2 + size + 2 > text.length) {
          body += text.slice(sizeEnd + 2, sizeEnd + 2 + size);
          at = text.length;
          break;
        }
        body += text.slice(sizeEnd + 2, sizeEnd + 2 + size);
        at = sizeEnd + 2 + size + 2;
      }
    } else if (headers.has('content-length')) {
      const length = Number(headers.get('content-length'));
      body = text.slice(at, at + length);
      complete = body.length === length;
      at += body.length;
    } else {
      body = text.slice(at);
      at = text.length;
    }
    responses.push({ status, headers, body, complete });
  }
  return responses;
}
