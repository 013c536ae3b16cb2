/**
 * `wasi:clocks@0.3` — the monotonic clock waits as an `async func` (a promise the async ABI turns
 * into a subtask, cancellable by the guest), and the wall clock is now `system-clock`.
 */
import { CANCELLED, type CancellablePromise } from '../../engine/binding/canonical-abi/tasks.ts';
import { wallClockImports } from '../clocks.ts';

const monotonicNow = (): bigint => process.hrtime.bigint();

/**
 * Resolves at `deadline`; the guest may cancel it (dropping the future), and disposing the
 * instance (`stopped`) ends it at once so a waiting guest lets go of its memory.
 */
function waitUntil(deadline: bigint, stopped: AbortSignal): CancellablePromise<void> {
  let timer: NodeJS.Timeout | undefined;
  let settle!: (cancelled: boolean) => void;
  const promise = new Promise<void>((resolve, reject) => {
    settle = (cancelled) => {
      clearTimeout(timer);
      stopped.removeEventListener('abort', onStop);
      if (cancelled) reject(CANCELLED);
      else resolve();
    };
  }) as CancellablePromise<void>;
  const onStop = () => settle(false);
  // Node's timers run on the event loop's cached clock and may fire a little early: check the
  // real clock and wait out the rest, so the guest never wakes before its deadline.
  const arm = () => {
    const left = deadline - monotonicNow();
    if (left <= 0n) settle(false);
    else timer = setTimeout(arm, Math.max(1, Math.ceil(Number(left) / 1e6)));
  };
  arm();
  stopped.addEventListener('abort', onStop, { once: true });
  promise.cancel = () => settle(true);
  return promise;
}

/** A deadline already past is met at once: the call returns instead of starting a subtask. */
const waitOrReturn = (deadline: bigint, stopped: AbortSignal) =>
  deadline <= monotonicNow() ? undefined : waitUntil(deadline, stopped);

export function monotonicClockImports(stopped: AbortSignal) {
  return {
    now: monotonicNow,
    getResolution: (): bigint => 1n,
    waitUntil: (when: bigint) => waitOrReturn(when, stopped),
    waitFor: (howLong: bigint) => waitOrReturn(monotonicNow() + howLong, stopped),
  };
}

export const systemClockImports = {
  now: wallClockImports.now,
  getResolution: (): bigint => 1000n,
};
