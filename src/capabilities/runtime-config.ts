/**
 * The runtime-config file (`skiff up --runtime-config runtime-config.toml`): where an app's
 * capabilities find their backends, as in Spin. Each top-level table belongs to a capability
 * (`[key_value_store.<label>]`); the file never holds app logic, so the same app runs on the
 * embedded default or on Redis/NATS by swapping this file only.
 *
 *   [key_value_store.default]
 *   type = "redis"
 *   url = "redis://127.0.0.1:6379"
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { isTable, type Table } from '../manifest/checker.ts';
import { closestMatch } from '../manifest/keys.ts';
import { formatKeyPath, type KeyPath, LineLocator } from '../manifest/locate.ts';
import { CapabilityConfigError } from './capability.ts';

export class RuntimeConfig {
  /** Absolute path of the file, undefined when none was given (every capability's default). */
  readonly file: string | undefined;
  /** Folder relative paths in the file resolve against (the file's own, else the app's). */
  readonly baseDir: string;
  readonly #tables: Table;
  readonly #locator: LineLocator | undefined;

  private constructor(file: string | undefined, baseDir: string, tables: Table, locator?: LineLocator) {
    this.file = file;
    this.baseDir = baseDir;
    this.#tables = tables;
    this.#locator = locator;
  }

  /** No file: every capability uses its embedded default. */
  static none(baseDir: string): RuntimeConfig {
    return new RuntimeConfig(undefined, baseDir, {});
  }

  /**
   * Reads and parses `path`; `known` are the top-level tables the capabilities read. Throws a
   * CapabilityConfigError with file:line for a missing file, bad TOML or an unknown table.
   */
  static load(path: string, known: readonly string[]): RuntimeConfig {
    const file = resolve(path);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CapabilityConfigError(
        code === 'ENOENT'
          ? `runtime config ${file} does not exist; check the path given to --runtime-config`
          : `cannot read runtime config ${file}: ${(e as Error).message}`,
      );
    }
    let tables: Table;
    try {
      tables = parse(text) as Table;
    } catch (e) {
      if (e instanceof TomlError)
        throw new CapabilityConfigError(`${file}:${e.line}: invalid TOML: ${e.message.split('\n')[0]}`);
      throw e;
    }
    const config = new RuntimeConfig(file, resolve(file, '..'), tables, new LineLocator(text));
    for (const key of Object.keys(tables)) {
      if (known.includes(key)) continue;
      const near = closestMatch(key, known);
      throw new CapabilityConfigError(
        `${config.where([key])}: unknown table "${key}" in the runtime config; ${near ? `did you mean "${near}"?` : `known: ${known.join(', ')}`}`,
      );
    }
    return config;
  }

  /** `runtime-config.toml:3` for the key at `path` (the file name alone when there is no file). */
  where(path: KeyPath): string {
    if (!this.file) return 'the default runtime config';
    return `${this.file}:${this.#locator?.lineOf(path) ?? 1}`;
  }

  /**
   * The entries of a `[name.<label>]` table: `{ label, table, where }` for each. Throws when `name`
   * or an entry is not a table.
   */
  entries(name: string): Array<{ label: string; table: Table; where: string }> {
    const section = this.#tables[name];
    if (section === undefined) return [];
    if (!isTable(section))
      throw new CapabilityConfigError(
        `${this.where([name])}: "${name}" must be a table of [${name}.<label>] tables`,
      );
    return Object.entries(section).map(([label, table]) => {
      if (!isTable(table))
        throw new CapabilityConfigError(
          `${this.where([name, label])}: ${formatKeyPath([name, label])} must be a table, e.g. [${name}.${label}] with type = "…"`,
        );
      return { label, table, where: this.where([name, label]) };
    });
  }
}
