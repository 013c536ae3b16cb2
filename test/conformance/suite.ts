/**
 * The preview1 part of the WASI standard's conformance suite (github.com/WebAssembly/wasi-testsuite),
 * run through the real `skiff run` CLI the way the suite's own runner drives wasmtime:
 * `--env K=V`... `--dir ROOT::/` FILE.wasm ARGS..., then exit code and output are compared.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { REPO, SKIFF_BIN, TEST_CACHE_DIR } from '../support/skiff-process.ts';

/** The prebuilt suite lives beside the repo: `<repo>/../shared/wasi-testsuite`. */
export const SUITE_ROOT = resolve(REPO, '..', 'shared', 'wasi-testsuite');
export const EXPECTATIONS_FILE = join(import.meta.dirname, 'expectations.json');

export const SUITES = ['c', 'rust', 'assemblyscript'] as const;
export type SuiteName = (typeof SUITES)[number];

/** Per test, like the upstream runner's default; a guest that hangs fails instead of stalling CI. */
export const TEST_TIMEOUT_MS = 30_000;
/** Tests in flight at once: each is a Node process compiling a guest. */
export const CONCURRENCY = 2;

/** The legacy test specification (every preview1 test uses it). */
export interface TestSpec {
  args: string[];
  env: Record<string, string>;
  /** Folder relative to the test's folder, preopened as the guest's `/`. */
  root: string | undefined;
  exitCode: number;
  stdout: string | undefined;
  stderr: string | undefined;
}

export interface ConformanceTest {
  /** `<suite>/<name>`, the key in expectations.json. */
  id: string;
  suite: SuiteName;
  name: string;
  wasm: string;
  folder: string;
  spec: TestSpec;
}

export interface TestResult {
  test: ConformanceTest;
  passed: boolean;
  /** Why it failed (empty when it passed). */
  failures: string[];
  durationMs: number;
}

export const suiteFolder = (root: string, suite: SuiteName): string =>
  join(root, suite, 'testsuite', 'wasm32-wasip1');

export function suiteAvailable(root = SUITE_ROOT): boolean {
  return SUITES.every((suite) => existsSync(suiteFolder(root, suite)));
}

const LEGACY_KEYS = new Set(['args', 'env', 'root', 'exit_code', 'stdout', 'stderr']);

/** Reads `X.json` beside `X.wasm`; no file means no arguments and exit 0. */
export function readSpec(jsonPath: string): TestSpec {
  const raw: Record<string, unknown> = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : {};
  const unknown = Object.keys(raw).filter((k) => !LEGACY_KEYS.has(k));
  if (unknown.length > 0)
    throw new Error(`${jsonPath}: unsupported keys ${unknown.join(', ')} (only legacy specs are run)`);
  return {
    args: (raw.args as string[] | undefined) ?? [],
    env: (raw.env as Record<string, string> | undefined) ?? {},
    root: (raw.root as string | null | undefined) ?? undefined,
    exitCode: (raw.exit_code as number | undefined) ?? 0,
    stdout: (raw.stdout as string | null | undefined) ?? undefined,
    stderr: (raw.stderr as string | null | undefined) ?? undefined,
  };
}

export function discoverTests(root = SUITE_ROOT): ConformanceTest[] {
  const tests: ConformanceTest[] = [];
  for (const suite of SUITES) {
    const folder = suiteFolder(root, suite);
    for (const file of readdirSync(folder).sort()) {
      if (!file.endsWith('.wasm')) continue;
      const name = basename(file, '.wasm');
      const wasm = join(folder, file);
      tests.push({
        id: `${suite}/${name}`,
        suite,
        name,
        wasm,
        folder,
        spec: readSpec(join(folder, `${name}.json`)),
      });
    }
  }
  return tests;
}

/**
 * The suite writes into its root folder, and tests share one (`fs-tests.dir`) with fixed names,
 * so every run gets a private writable copy: tests can run side by side and the shared suite
 * folder (read-only here) is never changed. Leftover `*.cleanup` entries are not copied, which is
 * the suite's "delete *.cleanup before a run" rule.
 */
/** A writable copy of a test's root folder, without the `.cleanup` files an earlier run left. */
export function privateRoot(source: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'skiff-wasi-root-'));
  cpSync(source, copy, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !basename(src).endsWith('.cleanup'),
  });
  makeWritable(copy);
  return copy;
}

function makeWritable(path: string): void {
  const stat = statSync(path);
  chmodSync(path, stat.mode | 0o200);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

export function cliArguments(test: ConformanceTest, root: string | undefined): string[] {
  const args = ['run'];
  for (const [key, value] of Object.entries(test.spec.env)) args.push('--env', `${key}=${value}`);
  if (root) args.push('--dir', `${root}::/::rw`);
  args.push(test.wasm, ...test.spec.args);
  return args;
}

export async function runTest(test: ConformanceTest): Promise<TestResult> {
  const started = Date.now();
  const root = test.spec.root ? privateRoot(join(test.folder, test.spec.root)) : undefined;
  try {
    const outcome = await runCli(cliArguments(test, root), test.folder);
    const failures: string[] = [];
    if (outcome.timedOut) failures.push(`timed out after ${TEST_TIMEOUT_MS / 1000} s`);
    else if (outcome.exitCode !== test.spec.exitCode) {
      failures.push(`exit code ${outcome.exitCode}, expected ${test.spec.exitCode}`);
    }
    // Like the upstream runner, an expected output is read from the start of the stream.
    for (const stream of ['stdout', 'stderr'] as const) {
      const expected = test.spec[stream];
      if (expected !== undefined && !outcome[stream].startsWith(expected)) {
        failures.push(`${stream} ${JSON.stringify(outcome[stream])}, expected ${JSON.stringify(expected)}`);
      }
    }
    if (failures.length > 0 && outcome.stderr.trim()) failures.push(`stderr:\n${outcome.stderr.trim()}`);
    return { test, passed: failures.length === 0, failures, durationMs: Date.now() - started };
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
  }
}

interface CliOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runCli(args: string[], cwd: string): Promise<CliOutcome> {
  return new Promise((resolveOutcome, reject) => {
    const child = spawn(process.execPath, [SKIFF_BIN, ...args], {
      cwd,
      env: { ...process.env, SKIFF_CACHE_DIR: TEST_CACHE_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TEST_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveOutcome({ exitCode: code, stdout, stderr, timedOut });
    });
  });
}

/** Runs `tests` CONCURRENCY at a time; results come back in the order of `tests`. */
export async function runTests(
  tests: ConformanceTest[],
  onResult?: (r: TestResult) => void,
): Promise<TestResult[]> {
  const results: TestResult[] = new Array(tests.length);
  let next = 0;
  const worker = async () => {
    while (next < tests.length) {
      const index = next++;
      const result = await runTest(tests[index] as ConformanceTest);
      results[index] = result;
      onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tests.length) }, worker));
  return results;
}

/** `{ "<suite>/<name>": "why it fails" }` for every test known to fail. */
export function readExpectations(file = EXPECTATIONS_FILE): Record<string, string> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

export interface Comparison {
  /** Expected to pass, failed. */
  unexpectedFailures: TestResult[];
  /** Listed as failing, passed: the expectations file is stale. */
  unexpectedPasses: TestResult[];
  /** Listed in the expectations file but not in the suite. */
  unknownExpectations: string[];
}

/**
 * A reason that starts with this marks a test that fails only most of the time: the nanosecond
 * tests pass when the clock happens to land on a whole microsecond (about 1 run in 10 here), so a
 * pass does not make the entry stale.
 */
export const SOMETIMES_PASSES = 'sometimes passes: ';

export function compareWithExpectations(
  results: TestResult[],
  expectations: Record<string, string>,
): Comparison {
  const ids = new Set(results.map((r) => r.test.id));
  return {
    unexpectedFailures: results.filter((r) => !r.passed && !(r.test.id in expectations)),
    unexpectedPasses: results.filter(
      (r) => r.passed && r.test.id in expectations && !expectations[r.test.id]?.startsWith(SOMETIMES_PASSES),
    ),
    unknownExpectations: Object.keys(expectations).filter((id) => !ids.has(id)),
  };
}

export const matchesExpectations = (c: Comparison): boolean =>
  c.unexpectedFailures.length === 0 && c.unexpectedPasses.length === 0 && c.unknownExpectations.length === 0;
