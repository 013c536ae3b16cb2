/**
 * The last requests this process answered, for the dashboard's table: a fixed ring, so keeping
 * it costs one small object per request and no memory growth.
 */
import cluster from 'node:cluster';
import type { AdminSource } from '../admin/sources.ts';
import { type RequestEvent, type RequestOutcome, requestFinished } from './events.ts';

/** Requests kept per process, and in the merged answer. */
export const RECENT_REQUESTS = 200;
/** A request target longer than this is cut (the table shows a line, not a payload). */
const MAX_TARGET_LENGTH = 512;

export interface RecentRequest {
  /** When it finished, ms since the epoch. */
  time: number;
  id: number;
  /** The cluster worker that served it (1 with a single process). */
  worker: number;
  method: string;
  target: string;
  route?: string | undefined;
  component?: string | undefined;
  status: number;
  outcome: RequestOutcome;
  wallMs: number;
  cpuMs: number;
  /** Set when a tracer gave the request a trace (it writes `traceId` on the event). */
  traceId?: string;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** Every worker's requests together, newest first, the last RECENT_REQUESTS. */
export function mergeRecentRequests(parts: unknown[]): RecentRequest[] {
  return (parts as RecentRequest[][])
    .flat()
    .sort((a, b) => b.time - a.time)
    .slice(0, RECENT_REQUESTS);
}

export interface RecentRequestsRecorder {
  source: AdminSource;
  stop(): void;
}

export function startRecentRequests(): RecentRequestsRecorder {
  const worker = cluster.worker?.id ?? 1;
  const ring: Array<RecentRequest | undefined> = new Array(RECENT_REQUESTS);
  let next = 0;
  const onRequest = (message: unknown) => {
    const event = message as RequestEvent & { traceId?: unknown };
    // Load balancers' health checks would push every real request out of the table.
    if (event.outcome === 'health') return;
    const target =
      event.target.length > MAX_TARGET_LENGTH ? `${event.target.slice(0, MAX_TARGET_LENGTH)}…` : event.target;
    const entry: RecentRequest = {
      time: Date.now(),
      id: event.id,
      worker,
      method: event.method,
      target,
      route: event.route,
      component: event.component,
      status: event.status ?? 0,
      outcome: event.outcome ?? 'ok',
      wallMs: round3(event.wallMs ?? 0),
      cpuMs: round3(event.cpuMs ?? 0),
    };
    if (typeof event.traceId === 'string') entry.traceId = event.traceId;
    ring[next] = entry;
    next = (next + 1) % RECENT_REQUESTS;
  };
  requestFinished.subscribe(onRequest);
  /** Walks the ring back from the last entry: requests finished in the same millisecond stay in order. */
  const newestFirst = (): RecentRequest[] => {
    const entries: RecentRequest[] = [];
    for (let i = 1; i <= RECENT_REQUESTS; i++) {
      const entry = ring[(next - i + RECENT_REQUESTS) % RECENT_REQUESTS];
      if (entry) entries.push(entry);
    }
    return entries;
  };
  return {
    source: {
      name: 'requests',
      collect: newestFirst,
      merge: mergeRecentRequests,
    },
    stop: () => requestFinished.unsubscribe(onRequest),
  };
}
