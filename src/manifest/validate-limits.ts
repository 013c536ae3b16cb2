import type { ComponentLimits } from './app.ts';
import { describeValue, type ManifestChecker, type Table } from './checker.ts';
import { formatDuration, nearDuration, parseDuration } from './duration.ts';
import type { KeyPath } from './locate.ts';
import { formatSize, parseSize, SIZE_UNITS } from './size.ts';

/** What a manifest may ask for; schema/skiff.schema.json states the same bounds (schema.test.ts checks it). */
export const COMPONENT_LIMITS = {
  timeoutMs: { min: 1, max: 3_600_000 },
  /** Guest CPU time of one request: same bounds as the timeout. */
  maxCpuMs: { min: 1, max: 3_600_000 },
  /** One wasm page … all a 32-bit memory can address. */
  maxMemoryBytes: { min: 64 * SIZE_UNITS.KiB, max: 4 * SIZE_UNITS.GiB },
  maxConcurrent: { min: 1, max: 1_000_000 },
} as const;

const DURATION_FORM = 'write a whole number and a unit (ms, s or m), e.g. "250ms", "1s" or "2m"';
const SIZE_FORM =
  'write a whole number and a binary unit (B, KiB, MiB or GiB), e.g. "512KiB", "64MiB" or "1GiB"';

/**
 * `timeout`, `max_cpu`, `max_memory` and `max_concurrent` of a `[component.X]`, named as the CLI flags are.
 * Only the keys written appear in the result; undefined when none is (the host's values apply) or
 * any is wrong (reported).
 */
export function validateLimits(
  checker: ManifestChecker,
  component: Table,
  componentPath: KeyPath,
  spot: string,
): ComponentLimits | undefined {
  const problemsBefore = checker.problems.length;
  const at = { checker, component, componentPath, spot };
  const timeoutMs = quantity(at, {
    key: 'timeout',
    kind: 'a duration string like "30s"',
    form: `${DURATION_FORM}, in quotes: timeout = "30s"`,
    guess: timeoutGuess,
    problem: timeoutProblem,
    parse: parseDuration,
  });
  const maxCpuMs = quantity(at, {
    key: 'max_cpu',
    kind: 'a duration string like "500ms"',
    form: `${DURATION_FORM}, in quotes: max_cpu = "500ms"`,
    guess: timeoutGuess,
    problem: (text) => durationProblem('max_cpu', text),
    parse: parseDuration,
  });
  const maxMemoryBytes = quantity(at, {
    key: 'max_memory',
    kind: 'a size string like "64MiB"',
    form: `${SIZE_FORM}, in quotes: max_memory = "64MiB"`,
    guess: sizeGuess,
    problem: maxMemoryProblem,
    parse: parseSize,
  });
  const maxConcurrent = checker.integer(component, 'max_concurrent', componentPath, spot, {
    ...COMPONENT_LIMITS.maxConcurrent,
    example: 100,
  });
  if (checker.problems.length > problemsBefore) return undefined;
  const limits: ComponentLimits = {
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(maxCpuMs !== undefined && { maxCpuMs }),
    ...(maxMemoryBytes !== undefined && { maxMemoryBytes }),
    ...(maxConcurrent !== undefined && { maxConcurrent }),
  };
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** A key whose value is a quantity written as a string with a unit (`timeout`, `max_memory`). */
interface QuantityKey {
  key: 'timeout' | 'max_cpu' | 'max_memory';
  /** What the value must be, e.g. `a duration string like "30s"`. */
  kind: string;
  /** How to write one, for a value that is not even a string. */
  form: string;
  /** A bare number as the value it most likely means. */
  guess: (value: number) => { text: string; meant: string } | undefined;
  problem: (text: string) => { message: string; hint: string } | undefined;
  parse: (text: string) => number | undefined;
}

function quantity(
  at: { checker: ManifestChecker; component: Table; componentPath: KeyPath; spot: string },
  { key, kind, form, guess, problem, parse }: QuantityKey,
): number | undefined {
  const { checker, spot } = at;
  const value = at.component[key];
  if (value === undefined) return undefined;
  const where = [...at.componentPath, key];
  if (typeof value !== 'string') {
    const meant = typeof value === 'number' ? guess(value) : undefined;
    checker.report(
      where,
      `"${key}" in ${spot} must be ${kind}, got ${describeValue(value)}`,
      meant ? `write ${key} = "${meant.text}" if you meant ${meant.meant}` : form,
    );
    return undefined;
  }
  const wrong = problem(value);
  if (wrong) {
    checker.report(where, `invalid ${key} in ${spot}: ${wrong.message}`, wrong.hint);
    return undefined;
  }
  return parse(value);
}

/** Why `text` is not a valid timeout (a duration from 1ms to 1 hour), with what to write instead. */
export function timeoutProblem(text: string): { message: string; hint: string } | undefined {
  return durationProblem('timeout', text);
}

/** Why `text` is not a valid `key` (a duration from 1ms to 1 hour), with what to write instead. */
export function durationProblem(
  key: 'timeout' | 'max_cpu',
  text: string,
): { message: string; hint: string } | undefined {
  const ms = parseDuration(text);
  const { min, max } = COMPONENT_LIMITS.timeoutMs;
  if (ms === undefined) {
    const guess = /^\s*[0-9.]+\s*$/.test(text) ? timeoutGuess(Number(text)) : undefined;
    if (guess)
      return { message: `"${text}" has no unit`, hint: `write "${guess.text}" if you meant ${guess.meant}` };
    const nearly = nearDuration(text);
    return {
      message: `"${text}" is not a duration`,
      hint:
        nearly === undefined ? DURATION_FORM : suggest(nearly, COMPONENT_LIMITS.timeoutMs, formatDuration),
    };
  }
  if (ms < min)
    return {
      message: `"${text}" is shorter than the minimum of ${formatDuration(min)}`,
      hint: `write "${formatDuration(min)}" or longer, or leave ${key} out for the host's default`,
    };
  if (ms > max)
    return {
      message: `"${text}" is longer than the maximum of ${formatDuration(max)} (1 hour)`,
      hint: `write "${formatDuration(max)}" or shorter`,
    };
  return undefined;
}

/** A number without a unit as the timeout it most likely means: seconds, when that is within bounds. */
function timeoutGuess(value: number): { text: string; meant: string } | undefined {
  const ms = nearDuration(`${value}s`);
  if (ms === undefined || !within(ms, COMPONENT_LIMITS.timeoutMs)) return undefined;
  return { text: formatDuration(ms), meant: `${value} ${value === 1 ? 'second' : 'seconds'}` };
}

/**
 * A number without a unit as the memory cap it most likely means, when that is within bounds:
 * bytes when at least the minimum (`67108864`), else mebibytes (`64`).
 */
function sizeGuess(value: number): { text: string; meant: string } | undefined {
  const asBytes = value >= COMPONENT_LIMITS.maxMemoryBytes.min;
  const bytes = nearSize(asBytes ? `${value}B` : `${value}MiB`);
  if (bytes === undefined || !within(bytes, COMPONENT_LIMITS.maxMemoryBytes)) return undefined;
  return { text: formatSize(bytes), meant: asBytes ? `${value} bytes` : `${value} MiB` };
}

type Bounds = { readonly min: number; readonly max: number };
const within = (value: number, { min, max }: Bounds): boolean => value >= min && value <= max;

/** `write "64MiB"`, moved into bounds so that following it does not lead to the next error: `"8GB"` → `"4GiB"`. */
function suggest(value: number, { min, max }: Bounds, format: (value: number) => string): string {
  if (value < min) return `write "${format(min)}" (the minimum)`;
  if (value > max) return `write "${format(max)}" (the maximum)`;
  return `write "${format(value)}"`;
}

/** Why `text` is not a valid memory cap (a size from 64KiB to 4GiB), with what to write instead. */
export function maxMemoryProblem(text: string): { message: string; hint: string } | undefined {
  const bytes = parseSize(text);
  const { min, max } = COMPONENT_LIMITS.maxMemoryBytes;
  if (bytes === undefined) {
    const nearly = nearSize(text);
    const hint =
      nearly === undefined ? SIZE_FORM : suggest(nearly, COMPONENT_LIMITS.maxMemoryBytes, formatSize);
    if (/^\s*[0-9.]+\s*[kmgt]b?\s*$/i.test(text))
      return {
        message: `"${text}" is not a size; sizes use binary units (KiB, MiB, GiB), not decimal ones (KB, MB, GB)`,
        hint,
      };
    const guess = /^\s*[0-9.]+\s*$/.test(text) ? sizeGuess(Number(text)) : undefined;
    if (guess)
      return { message: `"${text}" has no unit`, hint: `write "${guess.text}" if you meant ${guess.meant}` };
    return { message: `"${text}" is not a size`, hint };
  }
  if (bytes < min)
    return {
      message: `"${text}" is less than the minimum of ${formatSize(min)} (one wasm page)`,
      hint: `write "${formatSize(min)}" or more`,
    };
  if (bytes > max)
    return {
      message: `"${text}" is more than the maximum of ${formatSize(max)} (all a 32-bit memory can address)`,
      hint: `write "${formatSize(max)}" or less`,
    };
  return undefined;
}

/**
 * What an almost-size most likely means in bytes, when that is whole: decimal or short units as the
 * binary ones (`"64MB"`, `"64M"` → 64MiB), any case (`"64mib"`), spaces, fractions (`"1.5GiB"`).
 */
function nearSize(text: string): number | undefined {
  const match = /^\s*([0-9]*\.?[0-9]+)\s*(b|[kmg]i?b?)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase()[0];
  const perUnit = { b: SIZE_UNITS.B, k: SIZE_UNITS.KiB, m: SIZE_UNITS.MiB, g: SIZE_UNITS.GiB }[unit ?? ''];
  return wholeOf(Number(match[1]) * (perUnit ?? Number.NaN));
}

/** `x` rounded when it is that within floating-point error (1.1 * 1000 is 1100.0000000000002). */
function wholeOf(x: number): number | undefined {
  const whole = Math.round(x);
  return Number.isSafeInteger(whole) && Math.abs(x - whole) < 1e-6 ? whole : undefined;
}
