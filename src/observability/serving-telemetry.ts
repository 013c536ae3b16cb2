/**
 * Logs and traces of one serving process (`skiff up`, or each of its workers): request lines when
 * asked for, OpenTelemetry tracing when an OTLP endpoint is set, and, while the admin listener is
 * on, the `logs` and `traces` admin sources. `close` unsubscribes, exports the spans left and
 * writes the lines left, so that nothing is lost when the server stops.
 */
import { registerAdminSource } from '../admin/sources.ts';
import type { HostLogger } from './logger.ts';
import { startTracing } from './tracing.ts';

export interface ServingTelemetryOptions {
  app: string;
  log: HostLogger;
  /** The admin listener is on: keep recent lines and traces for it. */
  admin: boolean;
  /** `--log-requests`: one line per request. */
  logRequests: boolean;
}

export interface ServingTelemetry {
  close(): Promise<void>;
}

export function startServingTelemetry(options: ServingTelemetryOptions): ServingTelemetry {
  const { log } = options;
  const stops: Array<() => void> = [];
  if (options.logRequests) stops.push(log.logRequests());
  if (options.admin) stops.push(registerAdminSource(log.keepRecent().source()));
  const tracing = startTracing({ app: options.app, keepRecent: options.admin, warn: (m) => log.warn(m) });
  if (tracing?.recent) stops.push(registerAdminSource(tracing.recent.source()));
  return {
    async close() {
      for (const stop of stops.splice(0)) stop();
      await tracing?.shutdown();
      await log.close();
    },
  };
}
