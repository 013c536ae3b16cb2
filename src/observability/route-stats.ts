/**
 * Requests per route and second over the last five minutes, with their p50 and p99: what the
 * dashboard's live charts draw. Each worker keeps one slot per second and route (a count, an
 * error count and a latency histogram); the primary adds the workers' slots up before it takes
 * the percentiles, so they are the whole server's, not an average of the workers'.
 */
import type { AdminSource } from '../admin/sources.ts';
import { type RequestEvent, requestFinished } from './events.ts';
import { addTo, binOf, type LatencyCounts, quantile } from './latency-histogram.ts';

export const STATS_BUCKET_MS = 1000;
/** Five minutes of one-second buckets. */
export const STATS_BUCKETS = 300;

interface Slot {
  /** Start of the second, in ms since the epoch (the same in every worker). */
  t: number;
  requests: number;
  /** Requests that failed: a 5xx status (timeouts, limits) or a guest that trapped after its head went out. */
  errors: number;
  latency: LatencyCounts;
}

interface RouteSeries {
  route: string;
  component: string;
  slots: Array<Slot | undefined>;
}

/** One worker's part: only the seconds that saw requests, latency as [bin, count] pairs. */
export interface RouteStatsPart {
  now: number;
  routes: Array<{
    route: string;
    component: string;
    points: Array<{ t: number; requests: number; errors: number; latency: Array<[number, number]> }>;
  }>;
}

/** What /api/stats answers. */
export interface RouteStats {
  now: number;
  bucketMs: number;
  routes: Array<{
    route: string;
    component: string;
    points: Array<{
      t: number;
      requests: number;
      errors: number;
      p50Ms: number | null;
      p99Ms: number | null;
    }>;
  }>;
}

const secondOf = (ms: number) => Math.floor(ms / STATS_BUCKET_MS) * STATS_BUCKET_MS;

/** Adds the workers' parts up and fills every second of the window, empty ones included. */
export function mergeRouteStats(parts: unknown[]): RouteStats {
  const typed = parts as RouteStatsPart[];
  const now = Math.max(Date.now(), ...typed.map((p) => p.now));
  const last = secondOf(now);
  const first = last - (STATS_BUCKETS - 1) * STATS_BUCKET_MS;
  const byRoute = new Map<string, { route: string; component: string; seconds: Map<number, Slot> }>();
  for (const part of typed) {
    for (const { route, component, points } of part.routes) {
      const key = `${route}\u0000${component}`;
      let series = byRoute.get(key);
      if (!series) {
        series = { route, component, seconds: new Map() };
        byRoute.set(key, series);
      }
      for (const point of points) {
        if (point.t < first || point.t > last) continue;
        let slot = series.seconds.get(point.t);
        if (!slot) {
          slot = { t: point.t, requests: 0, errors: 0, latency: new Map() };
          series.seconds.set(point.t, slot);
        }
        slot.requests += point.requests;
        slot.errors += point.errors;
        for (const [bin, n] of point.latency) addTo(slot.latency, bin, n);
      }
    }
  }
  const routes = [...byRoute.values()]
    .sort((a, b) => (a.route < b.route ? -1 : a.route > b.route ? 1 : 0))
    .map(({ route, component, seconds }) => {
      const points = [];
      for (let t = first; t <= last; t += STATS_BUCKET_MS) {
        const slot = seconds.get(t);
        points.push({
          t,
          requests: slot?.requests ?? 0,
          errors: slot?.errors ?? 0,
          p50Ms: slot ? quantile(slot.latency, 0.5) : null,
          p99Ms: slot ? quantile(slot.latency, 0.99) : null,
        });
      }
      return { route, component, points };
    });
  return { now, bucketMs: STATS_BUCKET_MS, routes };
}

export interface RouteStatsRecorder {
  source: AdminSource;
  /** Lists these routes from now on, even before their first request. */
  show(routes: Array<{ route: string; component: string }>): void;
  stop(): void;
}

/** Starts counting the routed requests of this process. */
export function startRouteStats(): RouteStatsRecorder {
  const series = new Map<string, RouteSeries>();
  const seriesOf = (route: string, component: string): RouteSeries => {
    let found = series.get(route);
    if (!found || found.component !== component) {
      found = { route, component, slots: new Array(STATS_BUCKETS) };
      series.set(route, found);
    }
    return found;
  };

  const onRequest = (message: unknown) => {
    const event = message as RequestEvent;
    if (event.route === undefined || event.component === undefined) return;
    const { slots } = seriesOf(event.route, event.component);
    const t = secondOf(Date.now());
    const index = (t / STATS_BUCKET_MS) % STATS_BUCKETS;
    let slot = slots[index];
    if (slot?.t !== t) {
      slot = { t, requests: 0, errors: 0, latency: new Map() };
      slots[index] = slot;
    }
    slot.requests++;
    if ((event.status ?? 0) >= 500 || event.outcome === 'trap') slot.errors++;
    addTo(slot.latency, binOf(event.wallMs ?? 0));
  };
  requestFinished.subscribe(onRequest);

  const collect = (): RouteStatsPart => {
    const now = Date.now();
    const first = secondOf(now) - (STATS_BUCKETS - 1) * STATS_BUCKET_MS;
    return {
      now,
      routes: [...series.values()].map(({ route, component, slots }) => ({
        route,
        component,
        points: slots
          .filter((slot): slot is Slot => slot !== undefined && slot.t >= first)
          .map(({ t, requests, errors, latency }) => ({ t, requests, errors, latency: [...latency] })),
      })),
    };
  };
  return {
    source: { name: 'stats', collect, merge: mergeRouteStats },
    show: (routes) => {
      for (const { route, component } of routes) seriesOf(route, component);
    },
    stop: () => requestFinished.unsubscribe(onRequest),
  };
}
