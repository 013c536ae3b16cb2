/** `skiff up` — serve an app's HTTP routes (from skiff.toml, or one component from flags). */

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { adminListenOption } from '../admin/listen-options.ts';
import { addProfileRoute } from '../admin/profile-route.ts';
import { recordRunningServer } from '../admin/running-servers.ts';
import { type AdminServerOptions, startAdminServer } from '../admin/server.ts';
import { startAppTelemetry } from '../admin/telemetry.ts';
import { AppRuntime } from '../capabilities/app-runtime.ts';
import { addGrants } from '../manifest/add-grants.ts';
import { type App, DEFAULT_FRESH, DEFAULT_REUSE, type LifecycleSpec } from '../manifest/app.ts';
import { parseDuration } from '../manifest/duration.ts';
import { appFromComponent, loadApp } from '../manifest/load.ts';
import { idleTimeoutProblem, LIFECYCLE_LIMITS } from '../manifest/validate-lifecycle.ts';
import { chooseLogFormat, createHostLogger } from '../observability/logger.ts';
import { startServingTelemetry } from '../observability/serving-telemetry.ts';
import { startHttpServer } from '../triggers/http/server.ts';
import { buildApp, buildComponent, loadAppToBuild } from './build.ts';
import { binderOption, durationOption, timeSliceOption } from './limit-options.ts';
import {
  GRANT_OPTIONS,
  grantFlags,
  logFormatOption,
  type ParsedOptions,
  parseOptions,
  sizeOption,
  stringOption,
  UsageError,
} from './options.ts';
import { isClusterWorker, runPrimary, runWorker, type WorkerReady } from './serve-cluster.ts';
import { watchApp } from './watch.ts';

const SPEC = {
  from: 'string',
  listen: 'string',
  component: 'string',
  route: 'string',
  ...GRANT_OPTIONS,
  'runtime-config': 'string',
  lifecycle: 'string',
  'max-requests': 'string',
  'instance-concurrency': 'string',
  'idle-timeout': 'string',
  prewarm: 'string',
  workers: 'string',
  timeout: 'string',
  'max-cpu': 'string',
  'time-slice': 'string',
  'log-requests': 'boolean',
  'log-format': 'string',
  'max-memory': 'string',
  'max-concurrent': 'string',
  'host-max-concurrent': 'string',
  'max-body': 'string',
  binder: 'string',
  'admin-listen': 'string',
  'admin-token': 'string',
  build: 'boolean',
  watch: 'boolean',
} as const;

export const DEFAULT_LISTEN = '127.0.0.1:3000';

export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d+)$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new UsageError(
      `--listen ${listen}: expected HOST:PORT, e.g. 127.0.0.1:3000 (port 0 picks a free port)`,
    );
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

async function appFor(o: ReturnType<typeof parseOptions>): Promise<App> {
  const component = stringOption(o, 'component');
  const grants = grantFlags(o);
  if (component) {
    if (stringOption(o, 'from'))
      throw new UsageError('use either --from (a manifest) or --component (one .wasm), not both');
    return appFromComponent({ source: resolve(component), route: stringOption(o, 'route'), ...grants });
  }
  if (stringOption(o, 'route'))
    throw new UsageError('--route goes with --component; in a manifest, routes are [[trigger.http]] entries');
  const from = resolve(stringOption(o, 'from') ?? '.');
  if (!existsSync(from) && !stringOption(o, 'from')) {
    throw new UsageError(
      'no skiff.toml here: pass --from PATH (a skiff.toml or its folder) or --component FILE.wasm, or start a new app: skiff new --list',
    );
  }
  // Flags add grants to every component of the app, as with `spin up --env`.
  return addGrants(await loadApp(from), grants);
}

function positiveInteger(o: ParsedOptions, name: string, max: number): number | undefined {
  const text = stringOption(o, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new UsageError(`--${name} ${text}: expected a whole number from 0 to ${max}`);
  return value;
}

/** `--lifecycle fresh|reuse` (with its tuning flags) overrides every component's manifest setting. */
export function lifecycleOption(o: ParsedOptions): LifecycleSpec | undefined {
  const mode = stringOption(o, 'lifecycle');
  const tuning = {
    maxRequests: 'max-requests',
    idleTimeout: 'idle-timeout',
    concurrency: 'instance-concurrency',
    prewarm: 'prewarm',
  };
  if (mode === undefined) {
    const stray = Object.values(tuning).find((flag) => o.values.has(flag));
    if (stray) throw new UsageError(`--${stray} goes with --lifecycle (fresh or reuse)`);
    return undefined;
  }
  if (mode === 'fresh') {
    if (
      o.values.has('max-requests') ||
      o.values.has('idle-timeout') ||
      o.values.has('instance-concurrency')
    ) {
      throw new UsageError(
        '--max-requests, --idle-timeout and --instance-concurrency go with --lifecycle reuse',
      );
    }
    return { mode, prewarm: positiveInteger(o, 'prewarm', 64) ?? DEFAULT_FRESH.prewarm };
  }
  if (mode === 'reuse') {
    if (o.values.has('prewarm')) throw new UsageError('--prewarm goes with --lifecycle fresh');
    const idle = stringOption(o, 'idle-timeout');
    const problem = idle === undefined ? undefined : idleTimeoutProblem(idle);
    if (problem) throw new UsageError(`--idle-timeout ${idle}: ${problem.message} — ${problem.hint}`);
    const idleTimeoutMs = idle === undefined ? DEFAULT_REUSE.idleTimeoutMs : (parseDuration(idle) as number);
    const maxRequests = positiveInteger(o, 'max-requests', 1_000_000) ?? DEFAULT_REUSE.maxRequests;
    if (maxRequests === 0) throw new UsageError('--max-requests must be at least 1');
    const concurrency = positiveInteger(o, 'instance-concurrency', LIFECYCLE_LIMITS.instanceConcurrency.max);
    if (concurrency === 0) throw new UsageError('--instance-concurrency must be at least 1');
    return { mode, maxRequests, idleTimeoutMs, ...(concurrency !== undefined && { concurrency }) };
  }
  throw new UsageError(`--lifecycle ${mode}: expected fresh (a new instance per request) or reuse`);
}

/** The admin listener, with the routes that live outside its own file. */
function startAdmin(options: AdminServerOptions) {
  addProfileRoute();
  return startAdminServer(options);
}

export async function up(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC, false);
  if (o.positionals.length > 0) {
    const [first] = o.positionals;
    const hint =
      first && existsSync(first) && statSync(first).isFile() && first.endsWith('.wasm')
        ? ` (did you mean --component ${first}?)`
        : '';
    throw new UsageError(`unexpected argument "${first}"${hint}`);
  }
  const watching = o.values.has('watch');
  if (watching && stringOption(o, 'component'))
    throw new UsageError('--watch rebuilds the components of a manifest (--from), not --component');
  const { host, port } = parseListen(stringOption(o, 'listen') ?? DEFAULT_LISTEN);
  const runtimeConfig = stringOption(o, 'runtime-config');
  const lifecycle = lifecycleOption(o);
  const binder = binderOption(o);
  // --watch swaps components inside one process: a development server, one worker.
  const workers = positiveInteger(o, 'workers', 256) ?? (watching ? 1 : availableParallelism());
  if (workers === 0) throw new UsageError('--workers must be at least 1');
  if (watching && workers > 1)
    throw new UsageError(
      '--watch serves with one worker (it swaps components in place); leave out --workers',
    );
  const admin = adminListenOption(o);
  /** Printed right after the Serving block, in the same write. */
  let adminLine: string | undefined;
  let adminUrl: string | undefined;
  // Unset flags stay undefined: each component's manifest value, or the server's default, applies.
  const limits = {
    timeoutMs: durationOption(o, 'timeout'),
    maxCpuMs: durationOption(o, 'max-cpu'),
    maxMemoryBytes: sizeOption(o, 'max-memory'),
    maxConcurrent: positiveInteger(o, 'max-concurrent', 1_000_000),
    hostMaxConcurrent: positiveInteger(o, 'host-max-concurrent', 1_000_000),
    maxBodyBytes: sizeOption(o, 'max-body'),
  };
  for (const flag of ['max-concurrent', 'host-max-concurrent'] as const) {
    if (stringOption(o, flag) !== undefined && Number(stringOption(o, flag)) === 0)
      throw new UsageError(`--${flag} must be at least 1`);
  }
  // Built once, by the process that forks the workers; workers start from what it built.
  if (o.values.has('build') && !isClusterWorker()) {
    if (stringOption(o, 'component'))
      throw new UsageError('--build runs the build commands of a manifest (--from), not of --component');
    if (!(await buildApp(await loadAppToBuild(stringOption(o, 'from'))))) return 1;
  }
  // JSON lines unless on a terminal (or asked); the workers' lines, in a cluster.
  const log = createHostLogger(chooseLogFormat(logFormatOption(o)));
  const announce = ({ url, routes }: WorkerReady) => {
    // One write, so a reader waiting for the ready line also has the routes; plain text in
    // either log format, for the people and scripts that wait for it.
    const routeLines = routes.map(({ route, component }) => `\n  ${route} -> ${component}`).join('');
    process.stdout.write(`Serving ${url}${routeLines}${adminLine ? `\n${adminLine}` : ''}\n`);
    // So that `skiff profile` finds this server's admin listener by itself.
    if (admin && adminUrl)
      recordRunningServer({ url, admin: adminUrl, tokenRequired: Boolean(admin.token), routes });
  };
  const start = async () => {
    const app = await appFor(o);
    // Before the app loads, so that its first instances count; with --admin-listen off, nothing listens.
    const telemetry = admin && startAppTelemetry(app);
    const logsAndTraces = startServingTelemetry({
      app: app.name,
      log,
      admin: Boolean(admin),
      logRequests: o.values.has('log-requests'),
    });
    const running = await startHttpServer(app, {
      host,
      port,
      log,
      lifecycle,
      binder,
      timeSliceMs: timeSliceOption(o),
      runtimeConfig,
      ...limits,
    });
    telemetry?.attach(running);
    // Lines logged while loading (warnings) come before the ready line.
    await log.flush();
    return {
      app,
      reload: running.reload,
      ready: { url: running.url, routes: running.routes },
      server: running.server,
      close: async () => {
        await running.close();
        // The spans and lines of the last requests, before the process exits.
        await logsAndTraces.close();
      },
    };
  };
  if (isClusterWorker()) return runWorker(start);
  if (workers > 1) {
    // Check the manifest and the capabilities' configuration (runtime config, required variables)
    // once here, so their errors are reported once and before any fork.
    await (await AppRuntime.start(await appFor(o), runtimeConfig)).close();
    const adminServer = admin && (await startAdmin({ ...admin, workers, askWorkers: true }));
    adminLine = adminServer?.announcement;
    adminUrl = adminServer?.url;
    const code = await runPrimary(workers, announce);
    await adminServer?.close();
    return code;
  }
  const running = await start();
  const adminServer = admin && (await startAdmin({ ...admin, workers: 1, askWorkers: false }));
  adminLine = adminServer?.announcement;
  adminUrl = adminServer?.url;
  announce(running.ready);
  const watcher =
    watching &&
    watchApp(running.app, {
      build: (spec) => buildComponent(spec),
      reload: running.reload,
      say: (line) => process.stdout.write(`${line}\n`),
    });
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      if (watcher) watcher.close();
      process.stderr.write(`${signal}: finishing in-flight requests\n`);
      adminServer?.close();
      running.close().then(done);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
