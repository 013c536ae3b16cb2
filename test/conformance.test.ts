/**
 * The WASI conformance suite, preview1 and WASI 0.3, must match test/conformance/expectations.json
 * exactly: every test not listed passes, every listed one still fails (so the list never goes stale).
 * `npm run conformance` runs the same suite with a per-test report.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareWithExpectations,
  discoverAllTests,
  readExpectations,
  runTests,
  SUITE_ROOT,
  suiteAvailable,
} from './conformance/suite.ts';

test('WASI conformance suite (preview1 and WASI 0.3) matches expectations.json', async (t) => {
  if (!suiteAvailable()) {
    const message =
      `the WASI test suite is not at ${SUITE_ROOT}: it is the prebuilt prod/testsuite-base branch of ` +
      'github.com/WebAssembly/wasi-testsuite; get it with `git clone --depth 1 -b prod/testsuite-base ' +
      `https://github.com/WebAssembly/wasi-testsuite ${SUITE_ROOT}\` (see test/conformance/suite.ts)`;
    if (process.env.CI) assert.fail(`${message}; CI must run it`);
    t.skip(message);
    return;
  }
  const results = await runTests(discoverAllTests());
  const { unexpectedFailures, unexpectedPasses, unknownExpectations } = compareWithExpectations(
    results,
    readExpectations(),
  );
  const report = [
    ...unexpectedFailures.map(
      (r) => `${r.test.id} failed:\n  ${r.failures.join('\n').replaceAll('\n', '\n  ')}`,
    ),
    ...unexpectedPasses.map((r) => `${r.test.id} passes now: remove it from expectations.json`),
    ...unknownExpectations.map((id) => `${id} is in expectations.json but not in the suite`),
  ];
  assert.deepEqual(report, [], report.join('\n\n'));
});
