/**
 * Durations as the manifest and the CLI write them: a whole number and a unit, `"250ms"`, `"1s"`,
 * `"2m"`. Deliberately small: no fractions, no signs, no spaces, no compound forms (`1m30s`).
 */

const MS_PER_UNIT = { ms: 1, s: 1000, m: 60_000 } as const;
const DURATION = /^([0-9]+)(ms|s|m)$/;

/** `"250ms"` → 250, `"1s"` → 1000, `"2m"` → 120000; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * MS_PER_UNIT[match[2] as keyof typeof MS_PER_UNIT];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Milliseconds in the largest unit that holds them exactly, the way parseDuration reads them: 1000 → `1s`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % MS_PER_UNIT.m === 0) return `${ms / MS_PER_UNIT.m}m`;
  if (ms !== 0 && ms % MS_PER_UNIT.s === 0) return `${ms / MS_PER_UNIT.s}s`;
  return `${ms}ms`;
}

/** What an almost-duration (`"1.5s"`, `"1h"`, `"2 S"`) most likely means in milliseconds, when that is whole. */
export function nearDuration(text: string): number | undefined {
  const match = /^\s*([0-9]*\.?[0-9]+)\s*(ms|s|m|h)\s*$/i.exec(text);
  if (!match) return undefined;
  const perUnit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? '').toLowerCase()] ?? Number.NaN;
  const ms = Number(match[1]) * perUnit; // 1.1 * 1000 is 1100.0000000000002
  const whole = Math.round(ms);
  return Number.isSafeInteger(whole) && Math.abs(ms - whole) < 1e-6 ? whole : undefined;
}
