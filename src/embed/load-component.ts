/**
 * Plugins inside a Node app: `loadComponent('./plugin.wasm', options)` loads a component and hands
 * back its exports as async JS functions, with WIT values mapped to JS as jco maps them, through
 * Skiff's own binder. Every call runs under the limits (wall-clock timeout, CPU, memory) and sees
 * only what the options grant — no environment variable, file or network address otherwise, as
 * with `skiff up`. `skiff types plugin.wasm` writes the TypeScript declarations of the exports.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppRuntime } from '../capabilities/app-runtime.ts';
import { checkImports } from '../capabilities/provided.ts';
import { parseComponent } from '../engine/binding/parse/index.ts';
import { type BinderName, Component, DEFAULT_BINDER } from '../engine/component.ts';
import { ComponentLoadError } from '../engine/errors.ts';
import { interruptController } from '../engine/interrupt/controller.ts';
import type { ComponentSpec } from '../manifest/app.ts';
import { appFromComponent } from '../manifest/load.ts';
import { DEFAULT_MAX_CPU_MS, DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT_MS } from '../triggers/http/http-app.ts';
import { consoleLog, type HostLog } from '../triggers/http/log.ts';
import { type ComponentGrants, instanceImports, prepareGrants } from '../wasi/imports.ts';
import { emptySource, lineSink } from '../wasi/io/node-streams.ts';
import { BINDER_ACCESS } from './binder-access.ts';
import { planExports } from './export-plan.ts';
import { buildSurface } from './export-surface.ts';
import { type GrantOptions, grantsOf } from './grants.ts';
import { instanceModel, type Lifecycle, type LiveInstance } from './instances.ts';
import { type Duration, durationMs, type Size, sizeBytes } from './limits.ts';

/** Grants (env, dirs, allowOutbound): none unless named. */
export interface ComponentOptions extends GrantOptions {
  /** Wall-clock time per call (`'50ms'`, `'2s'` or milliseconds); default 30 s. */
  timeout?: Duration;
  /** Guest CPU time per call; default 5 s. */
  maxCpu?: Duration;
  /** Per linear memory of an instance (`'32MiB'` or bytes); default 128 MiB. */
  maxMemory?: Size;
  /**
   * `reuse` (default): one instance serves call after call, in turn, and keeps its state and the
   * resources the app holds; `fresh`: every call gets a just-instantiated instance (resources refused).
   */
  lifecycle?: Lifecycle;
  /** Where guest output and host messages go; stdout and stderr when absent. */
  log?: HostLog;
  /** Skiff's binder by default; `jco` for jco's generated glue (the reference). */
  binder?: BinderName;
  cacheDir?: string;
}

/**
 * The exports of a component whose types the program does not declare. `skiff types FILE.wasm`
 * writes an `Exports` interface to pass as `loadComponent<Exports>(…)` instead.
 */
// biome-ignore lint/suspicious/noExplicitAny: typed by the component's WIT, known only at run time
export type ComponentExports = Record<string, any>;

export interface SkiffComponent<E extends object = ComponentExports> {
  /** The file as given to loadComponent. */
  readonly file: string;
  /**
   * Each exported interface under its full name and its short one (`exports['skiff:plugin/api']`,
   * `exports.api`), as an object of async functions and resource classes; each function the world
   * exports as an async function (`exports.version()`).
   */
  readonly exports: E;
  /** Waits for the calls already made, then disposes of the instances; calls after it are refused. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Loads a component and makes its first instance, so a file that is not a component, an import
 * Skiff cannot provide (UnprovidedImportError) or a grant that cannot be honoured fails here.
 */
export async function loadComponent<E extends object = ComponentExports>(
  path: string,
  options: ComponentOptions = {},
): Promise<SkiffComponent<E>> {
  const lifecycle = options.lifecycle ?? 'reuse';
  if (lifecycle !== 'reuse' && lifecycle !== 'fresh')
    throw new TypeError(`lifecycle: ${JSON.stringify(lifecycle)} is neither 'reuse' nor 'fresh'`);
  const limits = {
    timeoutMs: durationMs('timeout', options.timeout) ?? DEFAULT_TIMEOUT_MS,
    maxCpuMs: durationMs('maxCpu', options.maxCpu) ?? DEFAULT_MAX_CPU_MS,
  };
  const maxMemoryBytes = sizeBytes('maxMemory', options.maxMemory) ?? DEFAULT_MAX_MEMORY;
  const binder = options.binder ?? DEFAULT_BINDER;
  if (!(binder in BINDER_ACCESS))
    throw new TypeError(`binder: ${JSON.stringify(binder)} is neither 'skiff' nor 'jco'`);
  const log = options.log ?? consoleLog();
  const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw new ComponentLoadError(path, `cannot read the file (${e.code ?? e.message})`, 'check the path');
  });

  // The same grants and capabilities as a component `skiff up --component` serves.
  const app = appFromComponent({ source: path, wording: 'api', ...grantsOf(options) });
  const spec = [...app.components.values()][0] as ComponentSpec;
  const watching = interruptController().startWatchdog();
  const component = await Component.load(spec.source, { cacheDir: options.cacheDir, maxMemoryBytes, binder });
  // The world as parsed names every import with its version, whichever binder loaded it.
  const { world } = parseComponent(bytes);
  checkImports(spec.id, { imports: world.imports.map((i) => i.name) });
  const plan = planExports(world);
  const capabilities = await AppRuntime.start(app);
  try {
    const grants = prepareGrants(spec.id, spec, capabilities.prepare(spec));
    await watching;
    const instances = instanceModel(
      lifecycle,
      path,
      limits,
      () => instantiate(component, spec.id, grants, log),
      (e) => log.trap(spec.id, 0, 'making an instance ahead', e),
    );
    await instances.start();
    const exports = buildSurface(plan, { file: path, lifecycle, access: BINDER_ACCESS[binder], instances });
    let closed: Promise<void> | undefined;
    const close = () => {
      closed ??= instances.close().finally(() => capabilities.close());
      return closed;
    };
    return { file: path, exports: exports as E, close, [Symbol.asyncDispose]: close };
  } catch (e) {
    await capabilities.close();
    throw e;
  }
}

async function instantiate(
  component: Component,
  componentId: string,
  grants: ComponentGrants,
  log: HostLog,
): Promise<LiveInstance> {
  const guestLog = (line: string) => log.guest(componentId, line);
  const host = instanceImports(grants, {
    componentId,
    args: [],
    stdin: emptySource(),
    stdout: lineSink(guestLog),
    stderr: lineSink(guestLog),
    log: (message) => log.warn(`[${componentId}] ${message}`),
    guestLog,
  });
  try {
    const guest = await component.instantiate(host.imports);
    return {
      exports: guest.exports,
      deadline: guest.deadline,
      discarded: undefined,
      dispose() {
        host.dispose();
        guest.dispose();
      },
      reset() {
        host.reset();
        return guest.reset();
      },
    };
  } catch (e) {
    host.dispose();
    throw e;
  }
}
