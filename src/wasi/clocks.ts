/** `wasi:clocks` — allowed to every guest. Timers are pollables, so sleeping suspends only the guest. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pollable } from './io/poll.ts';
import type { WasiClocksMonotonicClock, WasiClocksWallClock } from './shapes/clocks.ts';

const monotonicNow = (): bigint => process.hrtime.bigint();

/**
 * `stopped` makes every timer of the instance ready at once (it is being disposed), so a sleeping
 * guest wakes, reaches its next check and traps instead of outliving its instance. Waking it by an
 * error instead would leave it suspended for good: jco's glue never settles a call whose
 * `pollable.block` rejected.
 */
function pollableAt(deadline: bigint, stopped: AbortSignal): Pollable {
  return new Pollable({
    isReady: () => stopped.aborted || monotonicNow() >= deadline,
    whenReady: () =>
      sleep(Math.max(0, Math.ceil(Number(deadline - monotonicNow()) / 1e6)), undefined, {
        signal: stopped,
      }).catch(() => {}),
  });
}

export const monotonicNowImports = { now: monotonicNow, resolution: (): bigint => 1n };

export function monotonicClockImports(stopped: AbortSignal): WasiClocksMonotonicClock {
  return {
    ...monotonicNowImports,
    subscribeInstant: (when: bigint): Pollable => pollableAt(when, stopped),
    subscribeDuration: (duration: bigint): Pollable => pollableAt(monotonicNow() + duration, stopped),
  };
}

export interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

export const wallClockImports = {
  now(): Datetime {
    const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    return { seconds: micros / 1_000_000n, nanoseconds: Number(micros % 1_000_000n) * 1000 };
  },
  resolution: (): Datetime => ({ seconds: 0n, nanoseconds: 1000 }),
} satisfies WasiClocksWallClock;
