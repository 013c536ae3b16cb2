/**
 * The app as it runs: routes, components with their effective limits and lifecycle, and their
 * instances right now (summed over the workers). No environment, variables or grants: nothing
 * here could hold a secret.
 */
import { relative } from 'node:path';
import type { App } from '../manifest/app.ts';
import type { ComponentStats } from '../triggers/http/http-app.ts';
import type { AdminSource } from './sources.ts';

export interface ComponentOverview {
  id: string;
  /** The .wasm file, relative to the working directory when it is inside it. */
  source: string;
  lifecycle: ComponentStats['lifecycle'];
  limits: ComponentStats['limits'];
  instances: { idle: number; busy: number };
}

/** One worker's part, and the merged answer before the primary adds itself (server.ts). */
export interface OverviewPart {
  app: string;
  routes: Array<{ route: string; component: string }>;
  components: ComponentOverview[];
}

const shownPath = (path: string): string => {
  const inside = relative(process.cwd(), path);
  return inside.startsWith('..') || inside === '' ? path : inside;
};

/** The first part's description, with every worker's instances added up. */
export function mergeOverview(parts: unknown[]): OverviewPart | undefined {
  const typed = parts as OverviewPart[];
  const [first] = typed;
  if (!first) return undefined;
  const components = first.components.map((c) => ({ ...c, instances: { idle: 0, busy: 0 } }));
  for (const part of typed) {
    for (const { id, instances } of part.components) {
      const total = components.find((c) => c.id === id);
      if (!total) continue;
      total.instances.idle += instances.idle;
      total.instances.busy += instances.busy;
    }
  }
  return { ...first, components };
}

export function overviewSource(
  app: App,
  served: { routes: OverviewPart['routes']; stats(): ComponentStats[] },
): AdminSource {
  return {
    name: 'overview',
    collect: (): OverviewPart => ({
      app: app.name,
      routes: served.routes,
      components: served.stats().map(({ component, inFlight, idle, lifecycle, limits }) => ({
        id: component,
        source: shownPath(app.components.get(component)?.source ?? ''),
        lifecycle,
        limits,
        instances: { idle, busy: inFlight },
      })),
    }),
    merge: mergeOverview,
  };
}
