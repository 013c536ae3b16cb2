/**
 * `skiff build` — runs each component's `[component.ID.build] command`, in manifest order, one
 * after another, stopping at the first failure. The tool's output is kept and shown only when it
 * fails; afterwards the component's `source` must exist and be a component.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename, delimiter, dirname, relative, resolve } from 'node:path';
import { ComponentLoadError } from '../engine/errors.ts';
import { wasmKind } from '../engine/wasm-kind.ts';
import type { App, ComponentSpec } from '../manifest/app.ts';
import { loadApp, MANIFEST_FILE } from '../manifest/load.ts';
import { type BuildProgress, buildProgress } from './build-progress.ts';
import { parseOptions, stringOption, UsageError } from './options.ts';
import { describeMissing, findProgram, hintsFromOutput, programsOf } from './toolchains.ts';

const SPEC = {
  from: 'string',
} as const;

/** A failed build shows at most this much of its output (its end, where the error usually is). */
const MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * The environment of a build: Skiff's own, with the folder of the Node running Skiff first on PATH,
 * so `node` in a build command (npm scripts, componentize-js) is a Node Skiff runs on.
 */
function buildEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter) };
}

interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr as they came, interleaved. */
  output: string;
  truncated: boolean;
}

function runCommand(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(command, { shell: true, cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      while (size > MAX_OUTPUT_BYTES && chunks.length > 1) {
        size -= (chunks.shift() as Buffer).length;
        truncated = true;
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolveResult({ code, signal, output: Buffer.concat(chunks).toString('utf8'), truncated }),
    );
  });
}

/** Why the built `source` is not a component Skiff can load, or undefined when it is one. */
async function sourceProblem(spec: ComponentSpec): Promise<string | undefined> {
  const build = spec.build as NonNullable<ComponentSpec['build']>;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(spec.source);
  } catch {
    return (
      `its build command succeeded, but its source ${spec.source} does not exist\n` +
      `  hint: make the command write that file, or point [component.${spec.id}] source at what it writes ` +
      `(relative to ${build.workdir})`
    );
  }
  try {
    if (wasmKind(bytes, spec.source) === 'component') return undefined;
  } catch (e) {
    if (e instanceof ComponentLoadError) return `its build command succeeded, but ${e.message}`;
    throw e;
  }
  return (
    `its build command succeeded, but ${spec.source} is a core WebAssembly module, not a component\n` +
    '  hint: build for a WASI 0.2 target (e.g. cargo build --target wasm32-wasip2), or make a component of it: ' +
    'wasm-tools component new module.wasm --adapt wasi_snapshot_preview1.reactor.wasm -o component.wasm'
  );
}

function reportFailure(id: string, message: string, details = ''): void {
  process.stderr.write(`error: component "${id}" ${message}\n${details}`);
}

/**
 * Builds one component (it must have a build section) and checks what it wrote. Says why when it
 * fails, and returns false then; `skiff up --build` and `--watch` use it too.
 */
export async function buildComponent(
  spec: ComponentSpec,
  progress: BuildProgress = buildProgress(),
): Promise<boolean> {
  const build = spec.build;
  if (!build) throw new Error(`component "${spec.id}" has no build section`);
  const env = buildEnvironment();
  const missing = programsOf(build.command).filter((program) => !findProgram(program, env.PATH ?? ''));
  if (missing.length > 0) {
    reportFailure(
      spec.id,
      `cannot be built: ${missing.map(describeMissing).join('\n  and ')}`,
      `  (its build command: ${build.command})\n`,
    );
    return false;
  }
  progress.start(spec.id);
  const result = await runCommand(build.command, build.workdir, env);
  if (result.code !== 0) {
    progress.finish(spec.id, false);
    const how = result.signal ? `was stopped by ${result.signal}` : `exited with code ${result.code}`;
    const output = result.output.trimEnd();
    const hints = hintsFromOutput(result.output);
    reportFailure(
      spec.id,
      `failed to build: \`${build.command}\` ${how} (in ${build.workdir})`,
      (output
        ? `--- output of the build${result.truncated ? ` (its last ${MAX_OUTPUT_BYTES / 1024} KiB)` : ''} ---\n${output}\n---\n`
        : '(the build printed nothing)\n') + hints.map((hint) => `hint: ${hint}\n`).join(''),
    );
    return false;
  }
  const problem = await sourceProblem(spec);
  progress.finish(spec.id, problem === undefined);
  if (problem) {
    reportFailure(spec.id, problem);
    return false;
  }
  return true;
}

/** Builds every component of `app` that has a build section; false at the first that fails. */
export async function buildApp(app: App, progress: BuildProgress = buildProgress()): Promise<boolean> {
  const buildable = [...app.components.values()].filter((spec) => spec.build);
  if (buildable.length === 0) {
    process.stdout.write(
      `nothing to build: no component of "${app.name}" has a [component.ID.build] section\n`,
    );
    return true;
  }
  for (const spec of buildable) if (!(await buildComponent(spec, progress))) return false;
  return true;
}

/** Reads the manifest for a build: sources its build commands write may be missing yet. */
export function loadAppToBuild(from: string | undefined): Promise<App> {
  return loadApp(resolve(from ?? '.'), { beforeBuild: true });
}

export async function build(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC, false);
  if (o.positionals.length > 0)
    throw new UsageError(
      `unexpected argument "${o.positionals[0]}" (the app goes after --from: skiff build --from ${o.positionals[0]})`,
    );
  const app = await loadAppToBuild(stringOption(o, 'from'));
  const ok = await buildApp(app);
  if (ok && app.manifestPath) {
    // The folder when the manifest has its usual name, as the user most likely typed it.
    const from = basename(app.manifestPath) === MANIFEST_FILE ? dirname(app.manifestPath) : app.manifestPath;
    process.stdout.write(`Serve it: skiff up --from ${relative(process.cwd(), from) || '.'}\n`);
  }
  return ok ? 0 : 1;
}
