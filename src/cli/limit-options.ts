/** `--timeout 2s`: the limit flags `up` and `run` share, in the manifest's grammar and bounds. */
import { formatDuration, parseDuration } from '../manifest/duration.ts';
import { COMPONENT_LIMITS } from '../manifest/validate-limits.ts';
import { type ParsedOptions, stringOption, UsageError } from './options.ts';

export function timeoutOption(o: ParsedOptions): number | undefined {
  const text = stringOption(o, 'timeout');
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  const { min, max } = COMPONENT_LIMITS.timeoutMs;
  if (ms === undefined || ms < min || ms > max) {
    throw new UsageError(
      `--timeout ${text}: expected a duration from ${formatDuration(min)} to ${formatDuration(max)}: a whole number and a unit (ms, s or m), e.g. 2s or 500ms`,
    );
  }
  return ms;
}
