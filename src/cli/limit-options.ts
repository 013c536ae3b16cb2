/** `--timeout 2s`: the limit flags `up` and `run` share, in the manifest's grammar. */
import { formatDuration, parseDuration } from '../manifest/duration.ts';
import { type ParsedOptions, stringOption, UsageError } from './options.ts';

/** The longest `--timeout` accepted: an hour, as in the manifest. */
export const MAX_TIMEOUT_MS = 60 * 60_000;

export function timeoutOption(o: ParsedOptions): number | undefined {
  const text = stringOption(o, 'timeout');
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new UsageError(
      `--timeout ${text}: expected a duration from 1ms to ${formatDuration(MAX_TIMEOUT_MS)}: a whole number and a unit (ms, s or m), e.g. 2s or 500ms`,
    );
  }
  return ms;
}
