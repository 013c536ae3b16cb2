/**
 * The last traces this process finished, for the admin listener's `traces` source: a span
 * processor beside (or instead of) the OTLP exporter, so the dashboard shows traces even when no
 * collector is configured. A trace is finished when its local root (the request's SERVER span)
 * ends; its children, which end before it, wait for it in a bounded table.
 */
import type { Context } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { AdminSource } from '../admin/sources.ts';

/** Traces kept per process, and in the merged answer. */
export const RECENT_TRACES = 100;
/** Traces whose root has not ended yet; past this the oldest is dropped (a root that never ends). */
const MAX_OPEN_TRACES = 1000;
/** Spans kept per trace: a guest in a loop of key-value calls must not fill the memory. */
const MAX_SPANS_PER_TRACE = 200;

export interface RecentSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Start, ms since the epoch (fractional). */
  startMs: number;
  durationMs: number;
  attributes: Record<string, unknown>;
}

export interface RecentTrace {
  traceId: string;
  /** When the root span started, ms since the epoch. */
  time: number;
  /** The root span's name, e.g. `GET /api/...`. */
  name: string;
  durationMs: number;
  status: 'ok' | 'error';
  spans: RecentSpan[];
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

function recentSpan(span: ReadableSpan): RecentSpan {
  const entry: RecentSpan = {
    spanId: span.spanContext().spanId,
    name: span.name,
    startMs: round3(hrTimeToMilliseconds(span.startTime)),
    durationMs: round3(hrTimeToMilliseconds(span.duration)),
    attributes: { ...span.attributes },
  };
  if (span.parentSpanContext) entry.parentSpanId = span.parentSpanContext.spanId;
  return entry;
}

/** The root of this process's part of a trace: no parent, or a parent from another process. */
const isLocalRoot = (span: ReadableSpan) =>
  !span.parentSpanContext || span.parentSpanContext.isRemote === true;

export class RecentTraces implements SpanProcessor {
  readonly #finished: Array<RecentTrace | undefined> = new Array(RECENT_TRACES);
  #next = 0;
  /** traceId → spans that ended before their root did. Insertion order is age order. */
  readonly #open = new Map<string, RecentSpan[]>();

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const { traceId } = span.spanContext();
    if (!isLocalRoot(span)) {
      let spans = this.#open.get(traceId);
      if (!spans) {
        if (this.#open.size >= MAX_OPEN_TRACES) {
          const oldest = this.#open.keys().next().value as string;
          this.#open.delete(oldest);
        }
        spans = [];
        this.#open.set(traceId, spans);
      }
      if (spans.length < MAX_SPANS_PER_TRACE) spans.push(recentSpan(span));
      return;
    }
    const root = recentSpan(span);
    const children = this.#open.get(traceId) ?? [];
    this.#open.delete(traceId);
    this.#finished[this.#next] = {
      traceId,
      time: root.startMs,
      name: root.name,
      durationMs: root.durationMs,
      status: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok',
      spans: [root, ...children],
    };
    this.#next = (this.#next + 1) % RECENT_TRACES;
  }

  /** Newest first. */
  newestFirst(): RecentTrace[] {
    const traces: RecentTrace[] = [];
    for (let i = 1; i <= RECENT_TRACES; i++) {
      const trace = this.#finished[(this.#next - i + RECENT_TRACES) % RECENT_TRACES];
      if (trace) traces.push(trace);
    }
    return traces;
  }

  /** The admin source (`GET /api/traces`). */
  source(): AdminSource {
    return { name: 'traces', collect: () => this.newestFirst(), merge: mergeRecentTraces };
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Every worker's traces together, newest first, the last RECENT_TRACES. */
export function mergeRecentTraces(parts: unknown[]): RecentTrace[] {
  return (parts as RecentTrace[][])
    .flat()
    .sort((a, b) => b.time - a.time)
    .slice(0, RECENT_TRACES);
}
