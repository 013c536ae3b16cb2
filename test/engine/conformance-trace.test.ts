/**
 * The binder differential over the WASI preview1 conformance suite: every test program, adapted to
 * a command component, runs once through jco's glue and once through Skiff's binder with every WASI
 * host call recorded. The two traces, the exit outcome and the stdout/stderr bytes must be the same.
 * Tests listed as failing in expectations.json are compared too: their failure is not the binder's.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { type BinderName, Component } from '../../src/engine/component.ts';
import { DeadlineExceeded, withDeadline } from '../../src/engine/interrupt/with-deadline.ts';
import { guestBacktrace } from '../../src/engine/trap.ts';
import { GuestExit } from '../../src/wasi/cli.ts';
import { instanceImports, prepareGrants } from '../../src/wasi/imports.ts';
import { emptySource } from '../../src/wasi/io/node-streams.ts';
import type { ByteSink } from '../../src/wasi/io/streams.ts';
import {
  type ConformanceTest,
  discoverTests,
  privateRoot,
  SUITE_ROOT,
  SUITES,
  suiteAvailable,
  TEST_TIMEOUT_MS,
} from '../conformance/suite.ts';
import { deterministicHost, startTrace, stopTrace, traceHost } from '../support/host-call-trace.ts';
import { TEST_CACHE_DIR } from '../support/skiff-process.ts';

interface TracedRun {
  trace: string[];
  /** How `run` ended: `exit N`, a timeout, or a trap by its class and wasm frames. */
  outcome: string;
  stdout: Buffer;
  stderr: Buffer;
}

/** Keeps every byte the guest writes. */
function collectingSink(chunks: Uint8Array[]): ByteSink {
  return {
    capacity: () => 65536,
    write: (bytes) => {
      chunks.push(bytes.slice());
    },
    whenWritable: () => Promise.resolve(),
  };
}

/**
 * `run`'s ending as `skiff run` classifies it. A trap is told by its class and where in the guest it
 * happened (its wasm frames), not by its message: jco's glue rewords V8's trap messages into
 * wasmtime's (`unreachable` becomes "wasm trap: wasm `unreachable` instruction executed").
 */
function outcomeOf(e: unknown): string {
  if (e instanceof GuestExit) return `exit ${e.code}`;
  if (e instanceof DeadlineExceeded) return 'timed out';
  if (e === undefined || (e instanceof Error && e.name === 'ComponentError'))
    return 'exit 1 (run returned err)';
  return e instanceof Error ? `trap ${e.name}\n${guestBacktrace(e)}` : `trap ${String(e)}`;
}

const DATETIME = /\{seconds: (\d+)n, nanoseconds: (\d+)\}/g;
/** The calls whose datetimes are file timestamps: read from a file, or set on one by the guest. */
const FILE_TIMES = /^wasi:filesystem\/types#Descriptor\.(stat|statAt|setTimes|setTimesAt)\(/;
const METADATA_HASH = /^wasi:filesystem\/types#Descriptor\.metadataHash(At)?\(/;
const HASH = /\{lower: \d+n, upper: \d+n\}/g;
const BYTES = /bytes\(([0-9a-f]*)\)/g;

/**
 * Replaces what legitimately differs between two runs, each on its own copy of the root made and
 * changed at its own moments: file timestamps (stat results, and the values the guest sets, which
 * it derives from them), wherever the guest prints them (as nanoseconds, in its output), and the
 * metadata hashes a stat reports, which come from inode numbers (numbered by first appearance, so
 * which files are the same one is still compared). Nothing else is touched.
 */
function normalise(run: TracedRun): TracedRun {
  const timestamps = new Set<string>();
  const hashes = new Map<string, string>();
  let trace = run.trace.map((entry) => {
    if (FILE_TIMES.test(entry))
      return entry.replace(DATETIME, (_, seconds: string, nanoseconds: string) => {
        timestamps.add(String(BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)));
        return '<timestamp>';
      });
    if (METADATA_HASH.test(entry))
      return entry.replace(HASH, (hash) => {
        if (!hashes.has(hash)) hashes.set(hash, `<file ${hashes.size}>`);
        return hashes.get(hash) as string;
      });
    return entry;
  });
  if (timestamps.size === 0) return { ...run, trace };
  const printed = (bytes: Buffer): Buffer => {
    let text = bytes.toString('latin1');
    for (const timestamp of timestamps) text = text.replaceAll(timestamp, '<timestamp>');
    return Buffer.from(text, 'latin1');
  };
  trace = trace.map((entry) =>
    entry.replace(BYTES, (_, hex: string) => `bytes(${printed(Buffer.from(hex, 'hex')).toString('hex')})`),
  );
  return { ...run, trace, stdout: printed(run.stdout), stderr: printed(run.stderr) };
}

async function tracedRun(conformance: ConformanceTest, binder: BinderName): Promise<TracedRun> {
  const component = await Component.load(conformance.wasm, {
    cacheDir: TEST_CACHE_DIR,
    binder,
    adaptCoreModule: 'command',
  });
  const exportName = component.requireEntry('command');
  const { spec } = conformance;
  const root = spec.root ? privateRoot(join(conformance.folder, spec.root)) : undefined;
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const grants = prepareGrants(conformance.id, {
    environment: spec.env,
    files: root ? [{ hostPath: root, guestPath: '/', readOnly: false }] : [],
    allowedOutboundHosts: [],
  });
  // As `skiff run` sets the guest up: its own name first, `/` as its working folder when mounted.
  const host = instanceImports(grants, {
    componentId: conformance.id,
    args: [basename(conformance.wasm), ...spec.args],
    cwd: root ? '/' : undefined,
    stdin: emptySource(),
    stdout: collectingSink(stdout),
    stderr: collectingSink(stderr),
    log: () => {},
  });
  const trace = startTrace();
  let outcome = 'exit 0';
  try {
    const guest = await component.instantiate(traceHost(deterministicHost(host.imports)));
    try {
      await withDeadline(guest.deadline, TEST_TIMEOUT_MS, () => guest.exports[exportName].run());
    } finally {
      guest.dispose();
    }
  } catch (e) {
    outcome = outcomeOf(e);
  } finally {
    stopTrace();
    host.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  }
  return normalise({ trace, outcome, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
}

if (!suiteAvailable()) {
  test('WASI preview1 conformance suite: host calls are the same through both binders', (t) => {
    const message = `the WASI test suite is not at ${SUITE_ROOT} (see test/conformance/suite.ts)`;
    if (process.env.CI) assert.fail(`${message}; CI must run it`);
    t.skip(message);
  });
} else {
  const tests = discoverTests();
  for (const suite of SUITES) {
    test(`${suite} conformance tests: every host call, the exit and the output are the same through Skiff's binder and jco's glue`, async (t) => {
      const mine = tests.filter((c) => c.suite === suite);
      // Some tests make no host call at all (proc_exit is caught before it reaches the host,
      // sched_yield is answered by the adapter), so it is the suite as a whole that must be busy.
      let calls = 0;
      for (const conformance of mine) {
        await t.test(conformance.name, async () => {
          const jco = await tracedRun(conformance, 'jco');
          const skiff = await tracedRun(conformance, 'skiff');
          calls += jco.trace.length;
          if (conformance.spec.root)
            assert.ok(jco.trace.length > 3, `a test of the filesystem made host calls (${jco.trace.length})`);
          assert.deepEqual(skiff.trace, jco.trace);
          assert.equal(skiff.outcome, jco.outcome);
          assert.deepEqual(skiff.stdout, jco.stdout, 'stdout');
          assert.deepEqual(skiff.stderr, jco.stderr, 'stderr');
        });
      }
      assert.ok(mine.length > 0, 'the suite has tests');
      assert.ok(calls > mine.length, `the guests made more than one host call a test (${calls})`);
    });
  }
}
