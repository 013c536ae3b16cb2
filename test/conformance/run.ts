/**
 * `npm run conformance [-- [--verbose] FILTER...]`: runs the WASI conformance suite (preview1 and
 * WASI 0.3) through the `skiff` CLI, prints pass / fail / expected-fail per suite and in total, and
 * exits non-zero when any outcome differs from expectations.json (an unexpected failure, or an
 * unexpected pass that makes the file stale). FILTER keeps tests whose id (`rust/path_link`,
 * `wasip3/cli-env`) contains it; a filtered run still checks expectations. `--verbose` also prints
 * why the expected failures failed.
 */
import {
  ALL_SUITES,
  compareWithExpectations,
  discoverAllTests,
  matchesExpectations,
  readExpectations,
  runTests,
  SUITE_ROOT,
  suiteAvailable,
  type TestResult,
} from './suite.ts';

if (!suiteAvailable()) {
  process.stderr.write(`The WASI test suite was not found at ${SUITE_ROOT}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const verbose = argv.includes('--verbose');
const filters = argv.filter((a) => a !== '--verbose');
const tests = discoverAllTests().filter((t) => filters.length === 0 || filters.some((f) => t.id.includes(f)));
const expectations = readExpectations();
const started = Date.now();

const results = await runTests(tests, (r) => {
  const expected = r.test.id in expectations;
  const mark = r.passed ? (expected ? 'XPASS' : 'pass ') : expected ? 'xfail' : 'FAIL ';
  process.stdout.write(`${mark} ${r.test.id} (${(r.durationMs / 1000).toFixed(1)} s)\n`);
  if (!r.passed && (!expected || verbose)) process.stdout.write(indent(r.failures.join('\n')));
});

const row = (cells: Array<string | number>) =>
  `${cells.map((c, i) => String(c).padEnd(i === 0 ? 16 : 8)).join('')}\n`;
const counts = (mine: TestResult[]) => {
  const count = (p: (r: TestResult) => boolean) => mine.filter(p).length;
  return [
    mine.length,
    count((r) => r.passed && !(r.test.id in expectations)),
    count((r) => !r.passed && !(r.test.id in expectations)),
    count((r) => !r.passed && r.test.id in expectations),
    count((r) => r.passed && r.test.id in expectations),
  ];
};
process.stdout.write(`\n${row(['suite', 'tests', 'pass', 'fail', 'xfail', 'xpass'])}`);
for (const suite of ALL_SUITES) {
  const mine = results.filter((r) => r.test.suite === suite);
  if (mine.length > 0) process.stdout.write(row([suite, ...counts(mine)]));
}
process.stdout.write(row(['total', ...counts(results)]));
process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);

const comparison = compareWithExpectations(
  results,
  filters.length === 0 ? expectations : pick(expectations, results),
);
for (const r of comparison.unexpectedPasses) {
  process.stdout.write(`\n${r.test.id} passes now: remove it from test/conformance/expectations.json\n`);
}
for (const id of comparison.unknownExpectations) {
  process.stdout.write(`\n${id} is in expectations.json but not in the suite\n`);
}
process.exitCode = matchesExpectations(comparison) ? 0 : 1;

function indent(text: string): string {
  return `${text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
}

/** Expectations of the tests that ran (a filtered run cannot judge the others). */
function pick(all: Record<string, string>, ran: TestResult[]): Record<string, string> {
  return Object.fromEntries(
    ran.filter((r) => r.test.id in all).map((r) => [r.test.id, all[r.test.id] as string]),
  );
}
