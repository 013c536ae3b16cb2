/** Host shapes of `wasi:clocks@0.2.x` (wit/deps/clocks). `timezone` is @unstable and not implemented. */
import type { Pollable } from './io.ts';

/** `instant` and `duration` are u64 nanoseconds. */
export type Instant = bigint;
export type Duration = bigint;

/** `wasi:clocks/monotonic-clock`. */
export interface WasiClocksMonotonicClock {
  now(): Instant;
  resolution(): Duration;
  subscribeInstant(when: Instant): Pollable;
  subscribeDuration(when: Duration): Pollable;
}

/** `wasi:clocks/wall-clock#datetime`. */
export interface Datetime {
  seconds: bigint;
  /** u32, below 1_000_000_000. */
  nanoseconds: number;
}

/** `wasi:clocks/wall-clock`. */
export interface WasiClocksWallClock {
  now(): Datetime;
  resolution(): Datetime;
}
