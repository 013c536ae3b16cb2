/** The flags `up` and `run` share: limits in the manifest's grammar and bounds, and `--binder`. */
import type { BinderName } from '../engine/component.ts';
import { formatDuration, parseDuration } from '../manifest/duration.ts';
import { COMPONENT_LIMITS } from '../manifest/validate-limits.ts';
import { type ParsedOptions, stringOption, UsageError } from './options.ts';

/** `--timeout` (wall clock) or `--max-cpu` (guest CPU) of each request, in ms. */
export function durationOption(o: ParsedOptions, flag: 'timeout' | 'max-cpu'): number | undefined {
  const text = stringOption(o, flag);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  const { min, max } = COMPONENT_LIMITS[flag === 'timeout' ? 'timeoutMs' : 'maxCpuMs'];
  if (ms === undefined || ms < min || ms > max) {
    throw new UsageError(
      `--${flag} ${text}: expected a duration from ${formatDuration(min)} to ${formatDuration(max)}: a whole number and a unit (ms, s or m), e.g. 2s or 500ms`,
    );
  }
  return ms;
}

/** Longest time slice accepted: past it, slicing no longer keeps neighbours responsive. */
const MAX_TIME_SLICE_MS = 1000;

/** `--time-slice 2ms|off`: how long a guest runs before it yields to others on its worker; 0 for off. */
export function timeSliceOption(o: ParsedOptions): number | undefined {
  const text = stringOption(o, 'time-slice');
  if (text === undefined) return undefined;
  if (text === 'off') return 0;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1 || ms > MAX_TIME_SLICE_MS)
    throw new UsageError(
      `--time-slice ${text}: expected off, or a duration from 1ms to ${formatDuration(MAX_TIME_SLICE_MS)}, e.g. 2ms`,
    );
  return ms;
}

/** `--binder skiff|jco`: Skiff's own canonical-ABI binder (the default) or jco's generated glue. */
export function binderOption(o: ParsedOptions): BinderName | undefined {
  const text = stringOption(o, 'binder');
  if (text === undefined || text === 'skiff' || text === 'jco') return text;
  throw new UsageError(
    `--binder ${text}: expected skiff (Skiff's own binder, the default) or jco (jco's generated glue)`,
  );
}
