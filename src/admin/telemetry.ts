/**
 * What a serving process keeps for the admin listener while it is on: metrics, per-route stats,
 * recent requests and the overview, each registered as an admin source. Started before the app
 * loads (so its first instantiations count) and attached to the app once it serves. With the
 * admin listener off none of this starts, and the core's events have no subscriber.
 */
import cluster from 'node:cluster';
import type { App } from '../manifest/app.ts';
import { mergeMetrics, startMetrics } from '../observability/metrics.ts';
import { mergeRecentLogs } from '../observability/recent-logs.ts';
import { mergeRecentRequests, startRecentRequests } from '../observability/recent-requests.ts';
import { mergeRecentTraces } from '../observability/recent-traces.ts';
import { mergeRouteStats, startRouteStats } from '../observability/route-stats.ts';
import type { ComponentStats } from '../triggers/http/http-app.ts';
import { mergeOverview, overviewSource } from './overview.ts';
import { profileSource } from './profile-route.ts';
import { answerPrimaryCollects, registerAdminSource } from './sources.ts';

export interface ServedApp {
  routes: Array<{ route: string; component: string }>;
  stats(): ComponentStats[];
}

export interface AppTelemetry {
  /** From now on the sources read the served app (instances, limits, its routes). */
  attach(served: ServedApp): void;
  stop(): void;
}

export function startAppTelemetry(app: App): AppTelemetry {
  const metrics = startMetrics(app.name);
  const routeStats = startRouteStats();
  const requests = startRecentRequests();
  const stops = [
    metrics.stop,
    routeStats.stop,
    requests.stop,
    registerAdminSource(metrics.source),
    registerAdminSource(routeStats.source),
    registerAdminSource(requests.source),
    registerAdminSource(profileSource),
  ];
  // A worker answers the primary, which runs the admin listener.
  if (cluster.isWorker) stops.push(answerPrimaryCollects());
  return {
    attach(served) {
      metrics.attach(() => served.stats());
      routeStats.show(served.routes);
      stops.push(registerAdminSource(overviewSource(app, served)));
    },
    stop() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}

/**
 * In the primary of a cluster: the built-in sources' merges, so that collectFromWorkers merges
 * them as the workers' parts need (their `collect` runs only in the workers).
 */
export function registerPrimaryMerges(): () => void {
  const inWorkers = (name: string) => () => {
    throw new Error(`the admin source "${name}" is collected in the workers, not in the primary`);
  };
  const merges = {
    'metrics-json': mergeMetrics,
    stats: mergeRouteStats,
    requests: mergeRecentRequests,
    overview: mergeOverview,
    logs: mergeRecentLogs,
    traces: mergeRecentTraces,
    profile: profileSource.merge as (parts: unknown[]) => unknown,
  };
  const stops = Object.entries(merges).map(([name, merge]) =>
    registerAdminSource({ name, collect: inWorkers(name), merge }),
  );
  return () => {
    for (const stop of stops) stop();
  };
}
