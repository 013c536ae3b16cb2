/**
 * `npm run conformance [-- FILTER...]`: runs the WASI preview1 conformance suite through `skiff run`,
 * prints pass / fail / expected-fail per suite, and exits non-zero when any outcome differs from
 * expectations.json (an unexpected failure, or an unexpected pass that makes the file stale).
 * FILTER keeps tests whose id (`rust/path_link`) contains it; a filtered run still checks expectations.
 */
import {
  compareWithExpectations,
  discoverTests,
  matchesExpectations,
  readExpectations,
  runTests,
  SUITE_ROOT,
  SUITES,
  suiteAvailable,
  type TestResult,
} from './suite.ts';

if (!suiteAvailable()) {
  process.stderr.write(`The WASI test suite was not found at ${SUITE_ROOT}\n`);
  process.exit(2);
}

const filters = process.argv.slice(2);
const tests = discoverTests().filter((t) => filters.length === 0 || filters.some((f) => t.id.includes(f)));
const expectations = readExpectations();

const results = await runTests(tests, (r) => {
  const expected = r.test.id in expectations;
  const mark = r.passed ? (expected ? 'XPASS' : 'pass ') : expected ? 'xfail' : 'FAIL ';
  process.stdout.write(`${mark} ${r.test.id} (${(r.durationMs / 1000).toFixed(1)} s)\n`);
  if (!r.passed && !expected) process.stdout.write(indent(r.failures.join('\n')));
});

const row = (cells: Array<string | number>) =>
  `${cells.map((c, i) => String(c).padEnd(i === 0 ? 16 : 8)).join('')}\n`;
process.stdout.write(`\n${row(['suite', 'tests', 'pass', 'fail', 'xfail', 'xpass'])}`);
for (const suite of SUITES) {
  const mine = results.filter((r) => r.test.suite === suite);
  if (mine.length === 0) continue;
  const count = (p: (r: TestResult) => boolean) => mine.filter(p).length;
  process.stdout.write(
    row([
      suite,
      mine.length,
      count((r) => r.passed && !(r.test.id in expectations)),
      count((r) => !r.passed && !(r.test.id in expectations)),
      count((r) => !r.passed && r.test.id in expectations),
      count((r) => r.passed && r.test.id in expectations),
    ]),
  );
}

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
