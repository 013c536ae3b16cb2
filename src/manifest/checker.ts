import type { ManifestProblem } from './errors.ts';
import { closestMatch } from './keys.ts';
import type { KeyPath, LineLocator } from './locate.ts';
import type { PathRequirement } from './paths.ts';

/** A TOML table as smol-toml returns it. */
export type Table = Record<string, unknown>;

/**
 * Collects problems while the validators walk the parsed manifest, turning key paths into lines.
 * Validators never throw; they report and carry on, so the user sees every problem at once.
 */
export class ManifestChecker {
  /** Absolute manifest path. */
  readonly file: string;
  /** The manifest's folder: relative paths resolve against it. */
  readonly baseDir: string;
  readonly problems: ManifestProblem[] = [];
  /** Host paths to check once the walk is done (the walk itself stays synchronous and free of I/O). */
  readonly pathRequirements: PathRequirement[] = [];
  readonly #locator: LineLocator;

  constructor(file: string, baseDir: string, locator: LineLocator) {
    this.file = file;
    this.baseDir = baseDir;
    this.#locator = locator;
  }

  /** Line of the key at `path`, or of its nearest written parent; line 1 for top-level keys that are missing. */
  lineOf(path: KeyPath): number {
    return this.#locator.lineOf(path) ?? 1;
  }

  report(path: KeyPath, message: string, hint?: string): void {
    this.problems.push({ file: this.file, line: this.lineOf(path), message, hint });
  }

  requirePath(requirement: PathRequirement): void {
    this.pathRequirements.push(requirement);
  }

  /**
   * Reports keys of `table` that are not in `known`: known-but-unsupported ones say so,
   * others get a "did you mean" among the keys valid at this spot.
   */
  checkKeys(
    table: Table,
    path: KeyPath,
    spot: string,
    known: readonly string[],
    notYetSupported: readonly string[] = [],
  ): void {
    for (const key of Object.keys(table)) {
      if (known.includes(key)) continue;
      if (notYetSupported.includes(key)) {
        this.report(
          [...path, key],
          `"${key}" in ${spot} is not supported yet by this version of Skiff`,
          'remove it for now',
        );
        continue;
      }
      const guess = closestMatch(key, known);
      this.report(
        [...path, key],
        `unknown key "${key}" in ${spot}`,
        guess ? `did you mean "${guess}"?` : `valid keys here: ${known.join(', ')}`,
      );
    }
  }

  /** The table at `table[key]`, or undefined (reported when present but not a table). */
  table(parent: Table, key: string, path: KeyPath, spot: string, example: string): Table | undefined {
    const value = parent[key];
    if (value === undefined) return undefined;
    if (isTable(value)) return value;
    this.report(
      [...path, key],
      `"${key}" in ${spot} must be a table, got ${describeValue(value)}`,
      `write ${example}`,
    );
    return undefined;
  }

  /** The string at `table[key]`, or undefined (reported when missing and required, or not a string). */
  string(
    parent: Table,
    key: string,
    path: KeyPath,
    spot: string,
    options: { required: boolean; example: string },
  ): string | undefined {
    const value = parent[key];
    if (typeof value === 'string') {
      if (value.trim() !== '') return value;
      this.report([...path, key], `"${key}" in ${spot} is empty`, `write ${options.example}`);
      return undefined;
    }
    if (value === undefined) {
      if (options.required)
        this.report([...path, key], `missing "${key}" in ${spot}`, `add ${options.example}`);
      return undefined;
    }
    this.report(
      [...path, key],
      `"${key}" in ${spot} must be a string, got ${describeValue(value)}`,
      `write ${options.example}`,
    );
    return undefined;
  }

  /**
   * The integer at `table[key]` within `min..max`, or undefined (reported when not an integer or out
   * of range). TOML floats with no fraction (`4.0`) arrive as integers and are accepted.
   */
  integer(
    parent: Table,
    key: string,
    path: KeyPath,
    spot: string,
    options: { min: number; max: number; example: number },
  ): number | undefined {
    const value = parent[key];
    if (value === undefined) return undefined;
    const where = [...path, key];
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      const unquoted = typeof value === 'string' && /^[0-9]+$/.test(value.trim());
      this.report(
        where,
        `"${key}" in ${spot} must be an integer, got ${describeValue(value)}`,
        unquoted ? `remove the quotes: ${key} = ${value.trim()}` : `write ${key} = ${options.example}`,
      );
      return undefined;
    }
    if (value < options.min || value > options.max) {
      this.report(
        where,
        `"${key}" in ${spot} must be from ${options.min} to ${options.max}, got ${value}`,
        value < options.min
          ? `the smallest allowed is ${key} = ${options.min}`
          : `the largest allowed is ${key} = ${options.max}`,
      );
      return undefined;
    }
    return value;
  }

  /** The strings of the array at `table[key]` ([] when absent); wrong elements are reported and skipped. */
  stringArray(parent: Table, key: string, path: KeyPath, spot: string, example: string): string[] {
    const value = parent[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.report(
        [...path, key],
        `"${key}" in ${spot} must be an array of strings, got ${describeValue(value)}`,
        `write ${example}`,
      );
      return [];
    }
    const strings: string[] = [];
    value.forEach((element: unknown, index) => {
      if (typeof element === 'string') strings.push(element);
      else
        this.report(
          [...path, key, index],
          `"${key}" in ${spot} must hold only strings, got ${describeValue(element)}`,
          `write ${example}`,
        );
    });
    return strings;
  }
}

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The TOML type of a parsed value, with the value when short: `an integer (5)`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return `a string ("${value.length > 40 ? `${value.slice(0, 40)}…` : value}")`;
  if (typeof value === 'number' || typeof value === 'bigint') {
    return `${Number.isInteger(value) || typeof value === 'bigint' ? 'an integer' : 'a float'} (${value})`;
  }
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (value instanceof Date) return 'a date-time';
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  return typeof value;
}
