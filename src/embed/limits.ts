/**
 * Limits as an embedder writes them: `'50ms'` / `'32MiB'` in the manifest's grammar, or plain
 * numbers (milliseconds, bytes). A bad value throws a TypeError naming the option and an example.
 */
import { parseDuration } from '../manifest/duration.ts';
import { parseSize } from '../manifest/size.ts';

export type Duration = string | number;
export type Size = string | number;

export function durationMs(option: string, value: Duration | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0)
    throw new TypeError(
      `${option}: ${JSON.stringify(value)} is not a duration; write e.g. '50ms', '2s', or a number of milliseconds`,
    );
  return ms;
}

export function sizeBytes(option: string, value: Size | undefined): number | undefined {
  if (value === undefined) return undefined;
  const bytes = typeof value === 'number' ? value : parseSize(value);
  if (bytes === undefined || !Number.isInteger(bytes) || bytes <= 0)
    throw new TypeError(
      `${option}: ${JSON.stringify(value)} is not a size; write e.g. '32MiB', '512KiB', or a number of bytes`,
    );
  return bytes;
}

export function count(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1)
    throw new TypeError(`${option}: ${JSON.stringify(value)} is not a whole number of at least 1`);
  return value;
}
