/**
 * The WASI standard's conformance suite (github.com/WebAssembly/wasi-testsuite), run through the
 * real `skiff` CLI the way the suite's own runner drives wasmtime: the 72 preview1 modules in
 * three suites (c, rust, assemblyscript; legacy specs) and the 55 WASI 0.3 components (`wasip3`;
 * legacy and operations specs). spec.ts reads a test's JSON, operations.ts executes it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { REPO } from '../support/skiff-process.ts';
import { runOperations } from './operations.ts';
import { readConfig, readSpec, type TestConfig, type TestSpec } from './spec.ts';

export { privateRoot } from './operations.ts';
export { readSpec, type TestSpec } from './spec.ts';

/** The prebuilt suite lives beside the repo: `<repo>/../shared/wasi-testsuite`. */
export const SUITE_ROOT = resolve(REPO, '..', 'shared', 'wasi-testsuite');
export const EXPECTATIONS_FILE = join(import.meta.dirname, 'expectations.json');

/** The preview1 suites (core modules, legacy specs); the binder differential runs these too. */
export const SUITES = ['c', 'rust', 'assemblyscript'] as const;
export type SuiteName = (typeof SUITES)[number];
/** Every suite: the preview1 ones, then the WASI 0.3 components (from Rust), ids `wasip3/<name>`. */
export const ALL_SUITES = [...SUITES, 'wasip3'] as const;
export type AnySuiteName = (typeof ALL_SUITES)[number];

const FOLDERS: Record<AnySuiteName, string> = {
  c: join('c', 'testsuite', 'wasm32-wasip1'),
  rust: join('rust', 'testsuite', 'wasm32-wasip1'),
  assemblyscript: join('assemblyscript', 'testsuite', 'wasm32-wasip1'),
  wasip3: join('rust', 'testsuite', 'wasm32-wasip3'),
};

/** Per test, like the jco adapter's runner timeout; a guest that hangs fails instead of stalling CI. */
export const TEST_TIMEOUT_MS = 30_000;
/** Tests in flight at once: each is a Node process compiling a guest. */
export const CONCURRENCY = 2;

/** Any test of the suite: its operations, whichever form its spec has. */
export interface SuiteTest {
  /** `<suite>/<name>`, the key in expectations.json. */
  id: string;
  suite: AnySuiteName;
  name: string;
  wasm: string;
  folder: string;
  config: TestConfig;
}

/** A preview1 test, with its legacy spec as written. */
export interface ConformanceTest extends SuiteTest {
  suite: SuiteName;
  spec: TestSpec;
}

export interface TestResult {
  test: SuiteTest;
  passed: boolean;
  /** Why it failed, each naming the operation (empty when it passed). */
  failures: string[];
  durationMs: number;
}

export const suiteFolder = (root: string, suite: AnySuiteName): string => join(root, FOLDERS[suite]);

export function suiteAvailable(root = SUITE_ROOT): boolean {
  return ALL_SUITES.every((suite) => existsSync(suiteFolder(root, suite)));
}

function testsOf(root: string, suite: AnySuiteName): SuiteTest[] {
  const folder = suiteFolder(root, suite);
  return readdirSync(folder)
    .filter((file) => file.endsWith('.wasm'))
    .sort()
    .map((file) => {
      const name = basename(file, '.wasm');
      return {
        id: `${suite}/${name}`,
        suite,
        name,
        wasm: join(folder, file),
        folder,
        config: readConfig(join(folder, `${name}.json`)),
      };
    });
}

/** The preview1 tests (what the binder differential runs). */
export function discoverTests(root = SUITE_ROOT): ConformanceTest[] {
  return SUITES.flatMap((suite) =>
    testsOf(root, suite).map((test) => ({
      ...test,
      suite,
      spec: readSpec(join(test.folder, `${test.name}.json`)),
    })),
  );
}

/** Every test of every suite, preview1 and WASI 0.3. */
export function discoverAllTests(root = SUITE_ROOT): SuiteTest[] {
  return ALL_SUITES.flatMap((suite) => testsOf(root, suite));
}

export async function runTest(test: SuiteTest): Promise<TestResult> {
  const started = Date.now();
  let failures: string[];
  try {
    failures = await runOperations(test, TEST_TIMEOUT_MS);
  } catch (e) {
    failures = [`the runner failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`];
  }
  return { test, passed: failures.length === 0, failures, durationMs: Date.now() - started };
}

/** Runs `tests` CONCURRENCY at a time; results come back in the order of `tests`. */
export async function runTests(
  tests: SuiteTest[],
  onResult?: (r: TestResult) => void,
): Promise<TestResult[]> {
  const results: TestResult[] = new Array(tests.length);
  let next = 0;
  const worker = async () => {
    while (next < tests.length) {
      const index = next++;
      const result = await runTest(tests[index] as SuiteTest);
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
