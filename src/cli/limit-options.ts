/** The flags `up` and `run` share: limits in the manifest's grammar and bounds, and `--binder`. */
import type { BinderName } from '../engine/component.ts';
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

/** `--binder skiff|jco`: Skiff's own canonical-ABI binder (the default) or jco's generated glue. */
export function binderOption(o: ParsedOptions): BinderName | undefined {
  const text = stringOption(o, 'binder');
  if (text === undefined || text === 'skiff' || text === 'jco') return text;
  throw new UsageError(
    `--binder ${text}: expected skiff (Skiff's own binder, the default) or jco (jco's generated glue)`,
  );
}
