/**
 * An OTLP/HTTP trace sink for benchmarks: accepts `POST /v1/traces`, counts the batches, bytes and
 * spans, and answers with an empty ExportTraceServiceResponse. It walks only the two outer message
 * levels to count spans (their contents are skipped by length), so beside a server under load on a
 * two-core machine it costs a few microseconds per batch, not a decoder's worth
 * (test/support/otlp-receiver.ts decodes every field, for tests).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface OtlpCounts {
  batches: number;
  bytes: number;
  spans: number;
  /** Bodies that were not a readable ExportTraceServiceRequest. */
  unreadable: number;
}

export interface OtlpSink {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  counts(): OtlpCounts;
  close(): Promise<void>;
}

/** Calls `each` with the bytes of every length-delimited field numbered `wanted` in one message. */
function eachBytesField(message: Uint8Array, wanted: number, each: (bytes: Uint8Array) => void): void {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      if (at >= message.length) throw new Error('truncated varint');
      const byte = message[at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  };
  while (at < message.length) {
    const key = varint();
    switch (key % 8) {
      case 0:
        varint();
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        if (Math.floor(key / 8) === wanted) each(message.subarray(at, at + length));
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`wire type ${key % 8} is not one OTLP uses`);
    }
  }
}

/** ExportTraceServiceRequest → ResourceSpans (1) → ScopeSpans (2) → Span (2): the spans in one batch. */
export function countSpans(body: Uint8Array): number {
  let spans = 0;
  eachBytesField(body, 1, (resourceSpans) =>
    eachBytesField(resourceSpans, 2, (scopeSpans) =>
      eachBytesField(scopeSpans, 2, () => {
        spans++;
      }),
    ),
  );
  return spans;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const counts: OtlpCounts = { batches: 0, bytes: 0, spans: 0, unreadable: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      counts.batches++;
      counts.bytes += raw.length;
      try {
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        counts.spans += countSpans(body);
      } catch {
        counts.unreadable++;
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
