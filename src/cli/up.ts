/** `skiff up` — serve an app's HTTP routes (from skiff.toml, or one component from flags). */

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { AppRuntime } from '../capabilities/app-runtime.ts';
import { type App, DEFAULT_FRESH, DEFAULT_REUSE, type LifecycleSpec } from '../manifest/app.ts';
import { parseDuration } from '../manifest/duration.ts';
import { appFromComponent, loadApp } from '../manifest/load.ts';
import { idleTimeoutProblem, LIFECYCLE_LIMITS } from '../manifest/validate-lifecycle.ts';
import { consoleLog } from '../triggers/http/log.ts';
import { startHttpServer } from '../triggers/http/server.ts';
import { binderOption, durationOption, timeSliceOption } from './limit-options.ts';
import {
  GRANT_OPTIONS,
  grantFlags,
  type ParsedOptions,
  parseOptions,
  sizeOption,
  stringOption,
  UsageError,
} from './options.ts';
import { isClusterWorker, runPrimary, runWorker, type WorkerReady } from './serve-cluster.ts';

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
  'max-memory': 'string',
  'max-concurrent': 'string',
  'host-max-concurrent': 'string',
  'max-body': 'string',
  binder: 'string',
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
      'no skiff.toml here: pass --from PATH (a skiff.toml or its folder) or --component FILE.wasm',
    );
  }
  const app = await loadApp(from);
  // Flags add grants to every component of the app, as with `spin up --env`.
  for (const spec of app.components.values()) {
    Object.assign(spec.environment, grants.environment);
    spec.files.push(...grants.files);
    spec.allowedOutboundHosts.push(...grants.allowedOutboundHosts);
    if (grants.allowedBindAddresses.length > 0)
      spec.allowedBindAddresses = [...(spec.allowedBindAddresses ?? []), ...grants.allowedBindAddresses];
  }
  return app;
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
  for (const unsupported of ['build', 'watch'] as const) {
    if (o.values.has(unsupported))
      throw new UsageError(`--${unsupported} is not supported yet by this version of Skiff`);
  }
  const { host, port } = parseListen(stringOption(o, 'listen') ?? DEFAULT_LISTEN);
  const runtimeConfig = stringOption(o, 'runtime-config');
  const lifecycle = lifecycleOption(o);
  const binder = binderOption(o);
  const workers = positiveInteger(o, 'workers', 256) ?? availableParallelism();
  if (workers === 0) throw new UsageError('--workers must be at least 1');
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
  const log = consoleLog();
  const announce = ({ url, routes }: WorkerReady) => {
    // One write, so a reader waiting for the ready line also has the routes.
    const routeLines = routes.map(({ route, component }) => `\n  ${route} -> ${component}`).join('');
    log.info(`Serving ${url}${routeLines}`);
  };
  const start = async () => {
    const running = await startHttpServer(await appFor(o), {
      host,
      port,
      log,
      lifecycle,
      binder,
      timeSliceMs: timeSliceOption(o),
      runtimeConfig,
      logRequests: o.values.has('log-requests'),
      ...limits,
    });
    return {
      ready: { url: running.url, routes: running.routes },
      server: running.server,
      close: running.close,
    };
  };
  if (isClusterWorker()) return runWorker(start);
  if (workers > 1) {
    // Check the manifest and the capabilities' configuration (runtime config, required variables)
    // once here, so their errors are reported once and before any fork.
    await (await AppRuntime.start(await appFor(o), runtimeConfig)).close();
    return runPrimary(workers, announce);
  }
  const running = await start();
  announce(running.ready);
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      process.stderr.write(`${signal}: finishing in-flight requests\n`);
      running.close().then(done);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
