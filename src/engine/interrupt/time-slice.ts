/**
 * Time slicing and CPU accounting of the guests on this thread. A guest runs on the thread's one
 * JS stack, so while it computes nothing else on the thread runs. Each stretch of guest work is a
 * *run*, done for a CpuAccount (one per guest call: an HTTP request, a command): it starts when the
 * host calls into the guest or the guest resumes from a suspension, and ends when the guest
 * returns or suspends (on I/O, or to yield). The run in progress is published to the watchdog
 * thread (controller.ts); after a quantum, or once the account's CPU budget is spent, the watchdog
 * sets the instance's flag byte to 1, and at its next check the guest calls the checkpoint
 * (instrument.ts), which asks `shouldYield` here and then suspends on `yieldNow` until the next
 * turn of the event loop, so the requests waiting behind it run first.
 *
 * CPU time is the thread's time in the run — the guest's code and the host calls it makes
 * synchronously — not time suspended on I/O. A run is also ended by the next one starting, so a
 * guest that finished while nobody was watching is never billed for more than the microtasks
 * between its end and the next run.
 */
import { jspi } from '../binding/jspi.ts';
import { interruptController } from './controller.ts';
import type { Deadline } from './guest-deadline.ts';

/** What one guest call has used of the thread, and may use. */
export class CpuAccount {
  /** Thread time of the runs that ended, in ms. */
  usedMs = 0;
  /** Set when the budget ran out and the guest was stopped for it. */
  exceeded = false;
  /** Guest stacks of the account suspended in a yield: computing, not waiting on I/O. */
  yielding = 0;
  /**
   * The call is over (its limits no longer apply): guest work billed to it later, such as a WASI
   * 0.3 task going on to its end, never stops the instance, whose next call may be another's.
   */
  closed = false;
  readonly limitMs: number | undefined;
  /** Stops the guests working for the account; its slots are where yields are asked for. */
  readonly deadline: Deadline;
  /** The HTTP request the call serves, for log lines the guest writes meanwhile. */
  readonly requestId: number | undefined;

  constructor(deadline: Deadline, limitMs?: number, requestId?: number) {
    this.deadline = deadline;
    this.limitMs = limitMs;
    this.requestId = requestId;
  }

  /** Ends the account's work: the guest traps at its next check. */
  stop(): void {
    this.exceeded = true;
    this.deadline.interrupt();
  }
}

let running: CpuAccount | undefined;
const NO_SLOTS: readonly number[] = [];
/** performance.now() when the current run started. */
let since = 0;

/** The account of the run in progress, if any. */
export function currentAccount(): CpuAccount | undefined {
  return running;
}

function begin(account: CpuAccount | undefined): void {
  if (running) end();
  if (!account) return;
  running = account;
  since = performance.now();
  const budget = account.limitMs === undefined ? Number.POSITIVE_INFINITY : account.limitMs - account.usedMs;
  account.deadline.controller.publishRun(account.deadline.slots, since, budget);
}

function end(): CpuAccount | undefined {
  const account = running;
  if (!account) return undefined;
  account.usedMs += performance.now() - since;
  running = undefined;
  account.deadline.controller.publishRun(NO_SLOTS, 0, 0);
  if (
    account.limitMs !== undefined &&
    account.usedMs >= account.limitMs &&
    !account.exceeded &&
    !account.closed
  )
    account.stop();
  return account;
}

/**
 * Calls `enter` (which calls into a guest and returns once it returned or suspended) as a run of
 * `account`. A run already in progress (a host call of another guest that enters this one) is
 * paused meanwhile and goes on afterwards.
 */
export function runAs<T>(account: CpuAccount, enter: () => T): T {
  const outer = running;
  begin(account);
  try {
    return enter();
  } finally {
    if (running === account) end();
    if (outer) begin(outer);
  }
}

/** Ends the account's run if it is still the one in progress (its call is over). */
export function settle(account: CpuAccount): void {
  if (running === account) end();
}

/**
 * A host function the guest may suspend on (JSPI). The host function's synchronous part still
 * works for the guest's account; when it returns a promise the run ends, and it starts again when
 * the guest resumes. V8 resumes the guest in a job queued as the promise given to it settles, that
 * is as the `.then` callback below returns; a microtask queued inside that callback runs just
 * before the resumption, after any other guest's that was queued earlier. Starting the run in the
 * callback itself would let a second guest resuming in the same drain take the run over before the
 * first one ran.
 */
// biome-ignore lint/suspicious/noExplicitAny: core functions take and return numbers and bigints
export function suspending(host: (...args: any[]) => any): (...args: any[]) => any {
  return new jspi.Suspending((...args: unknown[]) => {
    const account = running;
    const result = host(...args);
    if (!(result instanceof Promise)) return result;
    end();
    const resume = () => queueMicrotask(() => begin(account));
    return result.then(
      (value) => {
        resume();
        return value;
      },
      (error: unknown) => {
        resume();
        throw error;
      },
    );
  });
}

/**
 * The checkpoint's first question: stop the guest (budget spent), yield (1), or run on (0, when
 * slicing is off and the checkpoint came for the budget).
 */
function shouldYield(): number {
  const account = running;
  if (!account) return 1;
  if (
    account.limitMs !== undefined &&
    !account.closed &&
    account.usedMs + performance.now() - since >= account.limitMs
  ) {
    end();
    begin(account);
    return 0;
  }
  return account.deadline.controller.quantumMs > 0 ? 1 : 0;
}

/** What slicing did on this thread (for tests and metrics): yields made, and refused by V8. */
export const sliceCounts = { yields: 0, refused: 0 };

/**
 * Guests that yielded, in the order they did. One goes on per turn of the event loop, after that
 * turn's I/O: a request that just arrived runs before the guests that have already had slices, so a
 * short request waits about one slice, not one slice per busy guest (BENCHMARKS.md, "Time slicing").
 */
const yielded: Array<() => void> = [];
let resumeScheduled = false;

/**
 * Connections accepted whose first request has not arrived yet. Loopback clients send it right
 * after connecting, but the worker reads it a turn of the event loop after the accept; resuming a
 * yielded guest in between would make every new connection wait a whole slice more. So while one
 * is pending, yielded guests wait (the loop sleeps in its poll and wakes as the bytes arrive), for
 * at most a quantum at a time: a flood of connections that never send cannot starve them.
 */
let pendingConnections = 0;
let holdingSince = 0;
let holdTimer: NodeJS.Timeout | undefined;

function scheduleResume(): void {
  if (resumeScheduled || yielded.length === 0) return;
  resumeScheduled = true;
  setImmediate(resumeNext);
}

function resumeNext(): void {
  resumeScheduled = false;
  if (pendingConnections > 0) {
    const quantumMs = interruptController().quantumMs;
    const held = performance.now() - holdingSince;
    if (held < quantumMs) {
      holdTimer ??= setTimeout(() => {
        holdTimer = undefined;
        resumeNext();
      }, quantumMs - held);
      return;
    }
    // Held a quantum: this guest goes on, the next hold starts after its slice.
    holdingSince = performance.now();
  }
  yielded.shift()?.();
  // The next one waits for the next turn (an immediate set from an immediate runs in the next one).
  scheduleResume();
}

/**
 * A connection was accepted: yielded guests wait for its first request (or a quantum). Returns
 * the function to call once it arrived, or the connection closed without one (idempotent).
 */
export function holdForConnection(): () => void {
  if (pendingConnections++ === 0) holdingSince = performance.now();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--pendingConnections > 0) return;
    if (holdTimer) {
      clearTimeout(holdTimer);
      holdTimer = undefined;
    }
    scheduleResume();
  };
}

/** The last yield made, until V8 suspends the guest or refuses to (see `yieldRefused`). */
let lastYield: { account: CpuAccount | undefined; resume: () => void } | undefined;

/** Suspends the guest until its turn comes (see `yielded`). */
const yieldNow = suspending(() => {
  sliceCounts.yields++;
  const account = running;
  if (account) account.yielding++;
  const turn = new Promise<void>((resolve) => {
    const resume = () => {
      if (account) account.yielding--;
      resolve();
    };
    yielded.push(resume);
    lastYield = { account, resume };
  });
  scheduleResume();
  return turn;
});

/**
 * V8 ran `yieldNow` but then refused to suspend the guest (its stack holds a synchronous
 * host-to-guest call, such as `realloc` while lowering), and the checkpoint caught that. The yield
 * is taken back: out of the queue, and the run `suspending` ended starts again, so the watchdog
 * goes on asking this guest for checkpoints and its CPU goes on being counted. Without this, the
 * guest ran on with no run published: never asked again, never stopped at its CPU budget.
 */
function yieldRefused(): void {
  const refused = lastYield;
  lastYield = undefined;
  if (!refused) return;
  sliceCounts.yields--;
  sliceCounts.refused++;
  const queued = yielded.lastIndexOf(refused.resume);
  if (queued >= 0) yielded.splice(queued, 1);
  if (refused.account) {
    refused.account.yielding--;
    begin(refused.account);
  }
}

let yieldFunctions: WebAssembly.ExportValue[] | undefined;

/**
 * Fills the `skiff:yield` table of an instrumented core instance. A table holds only wasm
 * functions, so the host functions go through a tiny module that imports and re-exports them.
 */
export function installYield(table: WebAssembly.Table): void {
  if (!yieldFunctions) {
    const relay = new WebAssembly.Instance(new WebAssembly.Module(RELAY), {
      host: { ask: shouldYield, act: yieldNow, no: yieldRefused },
    });
    yieldFunctions = ['ask', 'act', 'no'].map((name) => relay.exports[name] as WebAssembly.ExportValue);
  }
  yieldFunctions.forEach((fn, index) => {
    table.set(index, fn);
  });
}

/**
 * (module (import "host" "ask" (func (result i32))) (import "host" "act" (func))
 *   (import "host" "no" (func)) (export "ask" (func 0)) (export "act" (func 1)) (export "no" (func 2)))
 */
// biome-ignore format: the bytes line up with the sections they spell
const RELAY = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  // type section: [] -> [i32], [] -> []
  0x01, 0x08, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x00,
  // import section: host.ask (type 0), host.act (type 1), host.no (type 1)
  0x02, 0x21, 0x03, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x03, 0x61, 0x73, 0x6b, 0x00, 0x00,
  0x04, 0x68, 0x6f, 0x73, 0x74, 0x03, 0x61, 0x63, 0x74, 0x00, 0x01,
  0x04, 0x68, 0x6f, 0x73, 0x74, 0x02, 0x6e, 0x6f, 0x00, 0x01,
  // export section: ask = func 0, act = func 1, no = func 2
  0x07, 0x12, 0x03, 0x03, 0x61, 0x73, 0x6b, 0x00, 0x00, 0x03, 0x61, 0x63, 0x74, 0x00, 0x01,
  0x02, 0x6e, 0x6f, 0x00, 0x02,
]);
