/**
 * An OTLP/HTTP trace receiver for tests: a node:http server on loopback that accepts
 * `POST /v1/traces` with protobuf bodies (ExportTraceServiceRequest) and decodes them with its own
 * reader of the protobuf wire format, independent of the exporter's encoder — so a test sees what
 * a real collector would.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  status: { code: number; message: string };
  /** The resource's attributes (service.name …). */
  resource: Record<string, AttributeValue>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

/** One field of a protobuf message: its number, and its value as the wire type carries it. */
type Field =
  | { number: number; varint: bigint }
  | { number: number; bytes: Uint8Array }
  | { number: number; fixed: bigint };

function fields(buffer: Uint8Array): Field[] {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[at++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ number, varint: varint() });
        break;
      case 1:
        out.push({ number, fixed: view.getBigUint64(at, true) });
        at += 8;
        break;
      case 2: {
        const length = Number(varint());
        out.push({ number, bytes: buffer.subarray(at, at + length) });
        at += length;
        break;
      }
      case 5:
        out.push({ number, fixed: BigInt(view.getUint32(at, true)) });
        at += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  return out;
}

const bytesOf = (list: Field[], n: number) =>
  list
    .filter((f): f is Extract<Field, { bytes: Uint8Array }> => f.number === n && 'bytes' in f)
    .map((f) => f.bytes);
const firstBytes = (list: Field[], n: number) => bytesOf(list, n)[0] ?? new Uint8Array();
const text = (list: Field[], n: number) => new TextDecoder().decode(firstBytes(list, n));
const hex = (list: Field[], n: number) => Buffer.from(firstBytes(list, n)).toString('hex');
const numberOf = (list: Field[], n: number): bigint => {
  const field = list.find((f) => f.number === n && !('bytes' in f));
  return field && 'varint' in field ? field.varint : field && 'fixed' in field ? field.fixed : 0n;
};

/** AnyValue: string 1, bool 2, int 3, double 4, array 5. */
function anyValue(buffer: Uint8Array): AttributeValue {
  const [field] = fields(buffer);
  if (!field) return undefined;
  if (field.number === 1 && 'bytes' in field) return new TextDecoder().decode(field.bytes);
  if (field.number === 2 && 'varint' in field) return field.varint !== 0n;
  if (field.number === 3 && 'varint' in field) return Number(BigInt.asIntN(64, field.varint));
  if (field.number === 4 && 'fixed' in field) {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, field.fixed, true);
    return view.getFloat64(0, true);
  }
  if (field.number === 5 && 'bytes' in field) return bytesOf(fields(field.bytes), 1).map(anyValue);
  return undefined;
}

/** repeated KeyValue { key 1; AnyValue value 2 } */
function attributes(list: Field[], n: number): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of bytesOf(list, n)) {
    const parts = fields(kv);
    out[text(parts, 1)] = anyValue(firstBytes(parts, 2));
  }
  return out;
}

/** ExportTraceServiceRequest → ResourceSpans 1 → (Resource 1, ScopeSpans 2 → Span 2). */
export function decodeTraceRequest(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of bytesOf(fields(body), 1)) {
    const rs = fields(resourceSpans);
    const resource = attributes(fields(firstBytes(rs, 1)), 1);
    for (const scopeSpans of bytesOf(rs, 2)) {
      for (const raw of bytesOf(fields(scopeSpans), 2)) {
        const span = fields(raw);
        const status = fields(firstBytes(span, 15));
        spans.push({
          traceId: hex(span, 1),
          spanId: hex(span, 2),
          traceState: text(span, 3),
          parentSpanId: hex(span, 4),
          name: text(span, 5),
          kind: Number(numberOf(span, 6)),
          startNs: numberOf(span, 7),
          endNs: numberOf(span, 8),
          attributes: attributes(span, 9),
          status: { code: Number(numberOf(status, 3)), message: text(status, 2) },
          resource,
        });
      }
    }
  }
  return spans;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Content types of the requests received. */
  contentTypes: string[];
  /** Resolves once `ready(spans)` holds, or fails after `ms`. */
  waitFor(ready: (spans: ReceivedSpan[]) => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.push(req.headers['content-type'] ?? '');
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      spans.push(...decodeTraceRequest(Buffer.concat(chunks)));
      // An empty ExportTraceServiceResponse: everything accepted.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    async waitFor(ready, ms = 15_000) {
      const until = performance.now() + ms;
      while (!ready(spans)) {
        if (performance.now() > until)
          throw new Error(
            `the OTLP receiver did not get the expected spans within ${ms} ms; it got:\n${spans.map((s) => `${s.traceId} ${s.spanId} <- ${s.parentSpanId} ${s.name}`).join('\n')}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
