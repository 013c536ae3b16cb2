import { DEFAULT_FRESH, DEFAULT_REUSE, type LifecycleSpec } from './app.ts';
import { describeValue, isTable, type ManifestChecker, type Table } from './checker.ts';
import { formatDuration, nearDuration, parseDuration } from './duration.ts';
import { closestMatch, LIFECYCLE_MODES, MANIFEST_KEYS } from './keys.ts';
import type { KeyPath } from './locate.ts';

/** What a manifest may ask for; schema/skiff.schema.json states the same bounds (schema.test.ts checks it). */
export const LIFECYCLE_LIMITS = {
  maxRequests: { min: 1, max: 1_000_000 },
  idleTimeoutMs: { min: 10, max: 3_600_000 },
  prewarm: { min: 0, max: 64 },
  instanceConcurrency: { min: 1, max: 1024 },
} as const;

/** WASI 0.3 requests one instance serves at once unless the manifest says otherwise (Spin 4's default). */
export const DEFAULT_INSTANCE_CONCURRENCY = 16;

type Mode = (typeof LIFECYCLE_MODES)[number];

/** The mode each tuning key of the table form belongs to. */
const MODE_OF_KEY: Record<string, Mode> = {
  max_requests: 'reuse',
  idle_timeout: 'reuse',
  instance_concurrency: 'reuse',
  prewarm: 'fresh',
};

const DURATION_FORM = 'write a whole number and a unit (ms, s or m), e.g. "250ms", "1s" or "2m"';

/**
 * `lifecycle = "fresh" | "reuse"` (defaults filled in), or a `[component.X.lifecycle]` table with
 * `mode` and that mode's tuning keys. Undefined when absent (the runtime then applies DEFAULT_FRESH)
 * or wrong (reported).
 */
export function validateLifecycle(
  checker: ManifestChecker,
  component: Table,
  componentPath: KeyPath,
  spot: string,
): LifecycleSpec | undefined {
  const value = component.lifecycle;
  const where = [...componentPath, 'lifecycle'];
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    const mode = checkMode(checker, value, where, `"lifecycle" in ${spot}`, 'lifecycle');
    if (mode === 'fresh') return { ...DEFAULT_FRESH };
    if (mode === 'reuse') return { ...DEFAULT_REUSE };
    return undefined;
  }
  if (!isTable(value)) {
    checker.report(
      where,
      `"lifecycle" in ${spot} must be "fresh", "reuse" or a table, got ${describeValue(value)}`,
      `write lifecycle = "reuse", or a [${where.join('.')}] table with mode = "reuse"`,
    );
    return undefined;
  }
  return lifecycleTable(checker, value, where, `${spot.slice(0, -1)}.lifecycle]`);
}

function lifecycleTable(
  checker: ManifestChecker,
  table: Table,
  where: KeyPath,
  spot: string,
): LifecycleSpec | undefined {
  const problemsBefore = checker.problems.length;
  checker.checkKeys(table, where, spot, MANIFEST_KEYS.lifecycle);
  const mode = tableMode(checker, table, where, spot);

  const applies = (key: string): boolean => {
    if (table[key] === undefined) return false;
    const keyMode = MODE_OF_KEY[key];
    if (mode === undefined || keyMode === mode) return true;
    checker.report(
      [...where, key],
      `"${key}" in ${spot} applies only to mode = "${keyMode}", but mode is "${mode}"`,
      `remove it, or set mode = "${keyMode}"`,
    );
    return false;
  };
  const maxRequests = applies('max_requests')
    ? checker.integer(table, 'max_requests', where, spot, {
        ...LIFECYCLE_LIMITS.maxRequests,
        example: DEFAULT_REUSE.maxRequests,
      })
    : undefined;
  const idleTimeoutMs = applies('idle_timeout') ? idleTimeout(checker, table, where, spot) : undefined;
  const concurrency = applies('instance_concurrency')
    ? checker.integer(table, 'instance_concurrency', where, spot, {
        ...LIFECYCLE_LIMITS.instanceConcurrency,
        example: DEFAULT_INSTANCE_CONCURRENCY,
      })
    : undefined;
  const prewarm = applies('prewarm')
    ? checker.integer(table, 'prewarm', where, spot, {
        ...LIFECYCLE_LIMITS.prewarm,
        example: DEFAULT_FRESH.prewarm,
      })
    : undefined;

  if (mode === undefined || checker.problems.length > problemsBefore) return undefined;
  if (mode === 'fresh') return { mode, prewarm: prewarm ?? DEFAULT_FRESH.prewarm };
  return {
    mode,
    maxRequests: maxRequests ?? DEFAULT_REUSE.maxRequests,
    idleTimeoutMs: idleTimeoutMs ?? DEFAULT_REUSE.idleTimeoutMs,
    ...(concurrency !== undefined && { concurrency }),
  };
}

/** `mode` of the table form; when it is missing, the hint names the mode the other keys imply. */
function tableMode(checker: ManifestChecker, table: Table, where: KeyPath, spot: string): Mode | undefined {
  const value = table.mode;
  if (value === undefined) {
    const implied = [
      ...new Set(Object.keys(table).flatMap((key) => (MODE_OF_KEY[key] ? [MODE_OF_KEY[key]] : []))),
    ];
    const keys = Object.keys(table).filter((key) => MODE_OF_KEY[key] === implied[0]);
    checker.report(
      where,
      `missing "mode" in ${spot}`,
      implied.length === 1 && implied[0]
        ? `add mode = "${implied[0]}" (${keys.map((key) => `"${key}"`).join(' and ')} ${keys.length === 1 ? 'belongs' : 'belong'} to it)`
        : 'add mode = "fresh" (a new instance per request) or mode = "reuse" (instances serve many requests)',
    );
    return undefined;
  }
  if (typeof value !== 'string') {
    checker.report(
      [...where, 'mode'],
      `"mode" in ${spot} must be a string, got ${describeValue(value)}`,
      'write mode = "fresh" or mode = "reuse"',
    );
    return undefined;
  }
  return checkMode(checker, value, [...where, 'mode'], `"mode" in ${spot}`, 'mode');
}

function checkMode(
  checker: ManifestChecker,
  value: string,
  where: KeyPath,
  what: string,
  key: string,
): Mode | undefined {
  const mode = LIFECYCLE_MODES.find((known) => known === value);
  if (mode) return mode;
  const guess = closestMatch(value, LIFECYCLE_MODES);
  checker.report(
    where,
    `${what} must be "fresh" or "reuse", got "${value}"`,
    guess
      ? `did you mean ${key} = "${guess}"?`
      : `write ${key} = "fresh" (a new instance per request) or ${key} = "reuse" (instances serve many requests)`,
  );
  return undefined;
}

function idleTimeout(
  checker: ManifestChecker,
  table: Table,
  where: KeyPath,
  spot: string,
): number | undefined {
  const value = table.idle_timeout;
  const keyPath = [...where, 'idle_timeout'];
  if (typeof value !== 'string') {
    checker.report(
      keyPath,
      `"idle_timeout" in ${spot} must be a duration string, got ${describeValue(value)}`,
      `${DURATION_FORM}, in quotes: idle_timeout = "${formatDuration(DEFAULT_REUSE.idleTimeoutMs)}"`,
    );
    return undefined;
  }
  const problem = idleTimeoutProblem(value);
  if (problem) {
    checker.report(keyPath, `invalid idle_timeout in ${spot}: ${problem.message}`, problem.hint);
    return undefined;
  }
  return parseDuration(value);
}

/**
 * Why `text` is not a valid idle timeout (a duration from 10ms to 1 hour), with what to write instead.
 * Shared with the CLI's `--idle-timeout`.
 */
export function idleTimeoutProblem(text: string): { message: string; hint: string } | undefined {
  const ms = parseDuration(text);
  const { min, max } = LIFECYCLE_LIMITS.idleTimeoutMs;
  if (ms === undefined) {
    const nearly = nearDuration(text);
    return {
      message: `"${text}" is not a duration`,
      hint: nearly === undefined ? DURATION_FORM : `write "${formatDuration(nearly)}"`,
    };
  }
  if (ms < min)
    return {
      message: `"${text}" is shorter than the minimum of ${formatDuration(min)}`,
      hint: `write "${formatDuration(min)}" or longer`,
    };
  if (ms > max)
    return {
      message: `"${text}" is longer than the maximum of ${formatDuration(max)} (1 hour)`,
      hint: `write "${formatDuration(max)}" or shorter`,
    };
  return undefined;
}
