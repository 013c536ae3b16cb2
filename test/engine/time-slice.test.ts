/**
 * Time slicing at the engine level, on real compute: the kernels of bench/compute (C, built to
 * kernels.wasm) made interruptible as Skiff runs them, called through JSPI under a deadline with a
 * 1 ms quantum. A yield must never change a result, two guests must share the thread, timers must
 * run meanwhile, guest code the host calls synchronously must run on where it cannot yield, and a
 * CPU budget must stop a guest that computes past it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kernel, type SlicedKernels, slicedKernels } from '../../bench/compute/sliced.ts';
import { jspi } from '../../src/engine/binding/jspi.ts';
import { interruptController } from '../../src/engine/interrupt/controller.ts';
import { GuestDeadline } from '../../src/engine/interrupt/guest-deadline.ts';
import { FLAG_MEMORY, makeInterruptible, YIELD_TABLE } from '../../src/engine/interrupt/instrument.ts';
import {
  CpuAccount,
  holdForConnection,
  installYield,
  runAs,
  sliceCounts,
  suspending,
} from '../../src/engine/interrupt/time-slice.ts';
import { CpuLimitExceeded, withDeadline } from '../../src/engine/interrupt/with-deadline.ts';

/** Each a few tens of ms: dozens of quanta. */
const RUNS: Array<[string, number]> = [
  ['sha256', 2],
  ['sort', 400_000],
  ['nbody', 500_000],
  ['mandelbrot', 700],
  ['json', 4],
  ['interp', 800_000],
  ['fib', 30],
];

const controller = interruptController();
let kernels: SlicedKernels;
let plain: Record<string, Kernel>;
const guest = () => kernels.guest();

before(async () => {
  controller.setQuantum(1);
  kernels = await slicedKernels();
  plain = kernels.plain;
  // The watchdog thread starts with the first deadline; run until it is up and asking for yields.
  const warm = guest();
  for (let i = 0; i < 50 && sliceCounts.yields === 0; i++) await warm.run('sort', 400_000);
});
after(() => controller.setQuantum(2));

describe('time slicing', () => {
  test('a yield never changes a result: every kernel, sliced, returns the checksum of the plain build', async () => {
    const g = guest();
    for (const [name, arg] of RUNS) {
      const yieldsBefore = sliceCounts.yields;
      const expected = (plain[name] as Kernel)(arg) >>> 0;
      assert.equal(await g.run(name, arg), expected, name);
      assert.ok(sliceCounts.yields > yieldsBefore, `${name} never yielded`);
    }
  });

  test('two guests computing at once both progress, and a 1 ms timer keeps running between their slices', async () => {
    const [a, b] = [guest(), guest()];
    const finished: string[] = [];
    let ticks = 0;
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 1);
    const started = performance.now();
    const [x, y] = await Promise.all([
      a.run('sort', 2_000_000).then((v) => {
        finished.push('a');
        return v;
      }),
      b.run('sort', 2_000_000).then((v) => {
        finished.push('b');
        return v;
      }),
    ]);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    assert.equal(x, (plain.sort as Kernel)(2_000_000) >>> 0);
    assert.equal(y, x);
    assert.equal(finished.length, 2);
    // Unsliced, the timer would not run once until a whole sort (hundreds of ms) was over.
    assert.ok(ticks >= elapsed / 20, `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
    assert.ok(longestGap < elapsed / 2, `a gap of ${longestGap.toFixed(1)} ms in ${elapsed.toFixed(0)} ms`);
  });

  test('guest code the host calls synchronously (no JSPI) runs on when asked to yield, and is still stopped at its deadline', async () => {
    const g = guest();
    const token = g.deadline.arm(60_000);
    try {
      // Long enough for many quanta: each request to yield is refused by V8 and caught.
      assert.equal((g.exports.sort as Kernel)(1_000_000) >>> 0, (plain.sort as Kernel)(1_000_000) >>> 0);
    } finally {
      g.deadline.disarm(token);
    }
    const stopped = g.deadline.arm(50);
    try {
      assert.throws(() => (g.exports.fib as Kernel)(60), WebAssembly.RuntimeError);
    } finally {
      g.deadline.disarm(stopped);
    }
  });

  test('a new connection holds yielded guests until its first request arrives, for at most a quantum', async () => {
    controller.setQuantum(20);
    const g = guest();
    const account = new CpuAccount(g.deadline, 300);
    const spinning = g.run('fib', 60, account).catch((error: unknown) => error);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const untilYielded = async () => {
      while (account.yielding === 0) await new Promise(setImmediate);
    };
    try {
      await untilYielded();
      const usedWhileHeld = account.usedMs;
      const release = holdForConnection();
      await sleep(8);
      assert.equal(account.usedMs, usedWhileHeld, 'resumed while a connection waited for its first request');
      release();
      await new Promise(setImmediate);
      await new Promise(setImmediate);
      assert.ok(account.usedMs > usedWhileHeld, 'not resumed once the request arrived');

      // A connection that never sends holds the guests one quantum, not for ever.
      await untilYielded();
      const stuck = holdForConnection();
      const held = performance.now();
      const usedBefore = account.usedMs;
      while (account.usedMs === usedBefore) await new Promise(setImmediate);
      // It resumed when the slice it just ran began.
      const waited = performance.now() - (account.usedMs - usedBefore) - held;
      stuck();
      assert.ok(waited < 20 + 15, `held ${waited.toFixed(1)} ms`);
    } finally {
      controller.setQuantum(1);
    }
    assert.ok((await spinning) instanceof CpuLimitExceeded);
  });

  test('a CPU budget stops a guest that computes past it, billing only its own slices', async () => {
    const [busy, other] = [guest(), guest()];
    const account = new CpuAccount(busy.deadline, 40);
    const started = performance.now();
    const [stopped, fine] = await Promise.allSettled([
      busy.run('fib', 60, account),
      other.run('sort', 2_000_000),
    ]);
    const wall = performance.now() - started;
    assert.equal(stopped.status, 'rejected');
    const error = (stopped as PromiseRejectedResult).reason;
    assert.ok(error instanceof CpuLimitExceeded, String(error));
    assert.ok(account.usedMs >= 40 && account.usedMs < 40 + 20, `used ${account.usedMs} ms`);
    assert.equal(fine.status, 'fulfilled');
    // The two shared the thread: the busy one was stopped later than 40 ms of wall time.
    assert.ok(wall > account.usedMs, `wall ${wall} ms, CPU ${account.usedMs} ms`);
  });
});

describe('CPU accounts', () => {
  /** A deadline that records whether it was told to stop its guest. */
  function recordingDeadline() {
    const stops: number[] = [];
    const deadline = {
      controller,
      slots: [] as number[],
      arm: () => 0,
      disarm: () => {},
      interrupt: () => stops.push(performance.now()),
      expired: false,
      abandon: () => {},
    };
    return { deadline, stops };
  }
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };

  test('a call past its budget is stopped; once the call is over, later work billed to it stops nothing', () => {
    const open = recordingDeadline();
    const account = new CpuAccount(open.deadline, 2);
    runAs(account, () => busy(5));
    assert.ok(account.usedMs >= 5, `billed ${account.usedMs} ms`);
    assert.equal(open.stops.length, 1, 'stopped once, at the end of the run that spent the budget');

    // A WASI 0.3 task going on after its request ended: the instance may serve another call now.
    const over = recordingDeadline();
    const finished = new CpuAccount(over.deadline, 2);
    finished.closed = true;
    runAs(finished, () => busy(5));
    assert.ok(finished.usedMs >= 5);
    assert.deepEqual(over.stops, []);
  });
});

describe('CPU attribution', () => {
  /** Waits on the host (JSPI), then counts down `n`: the compute after the wait is the guest's own. */
  const WAIT_THEN_COMPUTE = `(module
    (import "host" "wait" (func $wait))
    (func (export "run") (param $n i32) (result i32) (local $acc i32)
      (call $wait)
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $n) (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $l (local.get $n)))
      (local.get $acc)))`;

  test('a yield refused inside a synchronous host-to-guest call leaves the run published: the guest is still sliced and stopped at its budget afterwards', async () => {
    const { parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
    // `run` calls the host, which calls `spin` synchronously (as lowering calls `realloc`), where
    // V8 refuses every yield; then `run` computes on its own, suspendable again.
    const module = await WebAssembly.compile(
      makeInterruptible(
        await parse(`(module
          (import "host" "nested" (func $nested))
          (func $spin (export "spin") (param $n i32) (result i32) (local $acc i32)
            (loop $l
              (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $n) (local.get $n))))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l (local.get $n)))
            (local.get $acc))
          (func (export "run") (param $n i32) (result i32)
            (call $nested)
            (call $spin (local.get $n))))`),
      ) as Uint8Array<ArrayBuffer>,
    );
    const deadline = new GuestDeadline(controller);
    let core!: WebAssembly.Instance;
    const nested = () => {
      const until = performance.now() + 25;
      while (performance.now() < until) (core.exports.spin as Kernel)(100_000);
    };
    core = new WebAssembly.Instance(module, {
      host: { nested },
      [FLAG_MEMORY.module]: { [FLAG_MEMORY.name]: deadline.flagMemory },
    });
    installYield(core.exports[YIELD_TABLE] as WebAssembly.Table);
    const run = jspi.promising(core.exports.run as Kernel);
    const account = new CpuAccount(deadline, 100);
    const [refusedBefore, yieldsBefore] = [sliceCounts.refused, sliceCounts.yields];
    const outcome = await withDeadline(deadline, 5_000, () => run(2_000_000_000), account).then(
      () => 'finished',
      (error: unknown) => error,
    );
    assert.ok(outcome instanceof CpuLimitExceeded, `expected the CPU limit, got ${String(outcome)}`);
    assert.ok(sliceCounts.refused > refusedBefore, 'no yield was refused in the nested call');
    assert.ok(account.usedMs < 100 + 20, `used ${account.usedMs} ms`);
    assert.ok(sliceCounts.yields > yieldsBefore, 'never yielded after the nested call');
  });

  test('two guests resuming from I/O in one microtask drain are each billed for their own compute', async () => {
    const { parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
    const module = await WebAssembly.compile(
      makeInterruptible(await parse(WAIT_THEN_COMPUTE)) as Uint8Array<ArrayBuffer>,
    );
    // Both host waits settle in the same drain of microtasks.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const wait = suspending(() => released);
    const instance = () => {
      const deadline = new GuestDeadline(controller);
      const core = new WebAssembly.Instance(module, {
        host: { wait },
        [FLAG_MEMORY.module]: { [FLAG_MEMORY.name]: deadline.flagMemory },
      });
      installYield(core.exports[YIELD_TABLE] as WebAssembly.Table);
      return { run: jspi.promising(core.exports.run as (n: number) => number), deadline };
    };
    const [heavy, light] = [instance(), instance()];
    const heavyAccount = new CpuAccount(heavy.deadline);
    const lightAccount = new CpuAccount(light.deadline);
    const calls = [
      withDeadline(heavy.deadline, 60_000, () => heavy.run(200_000_000), heavyAccount),
      withDeadline(light.deadline, 60_000, () => light.run(1_000), lightAccount),
    ];
    release();
    await Promise.all(calls);
    assert.ok(heavyAccount.usedMs > 20, `the heavy guest was billed ${heavyAccount.usedMs.toFixed(2)} ms`);
    assert.ok(
      lightAccount.usedMs < heavyAccount.usedMs / 4,
      `the light guest was billed ${lightAccount.usedMs.toFixed(2)} ms, the heavy one ${heavyAccount.usedMs.toFixed(2)} ms`,
    );
  });
});
