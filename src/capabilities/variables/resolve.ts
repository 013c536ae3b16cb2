/**
 * Where variable values come from, first found wins: the environment (`SKIFF_VARIABLE_<NAME>`), a
 * `.env` file beside the manifest (the same `SKIFF_VARIABLE_<NAME>=value` lines), the manifest's
 * `default`. Resolved once when the app starts, so a missing required variable stops `skiff up`
 * before it serves, naming the variable and where to set it — never its value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App, ComponentSpec } from '../../manifest/app.ts';
import { CapabilityConfigError } from '../capability.ts';
import { TEMPLATE_REFERENCE } from './manifest.ts';

export const ENV_PREFIX = 'SKIFF_VARIABLE_';
export const DOTENV_FILE = '.env';

export const envName = (variable: string): string => `${ENV_PREFIX}${variable.toUpperCase()}`;

export class ResolvedVariables {
  readonly #values: ReadonlyMap<string, string>;

  private constructor(values: ReadonlyMap<string, string>) {
    this.#values = values;
  }

  static resolve(
    app: Pick<App, 'variables' | 'baseDir' | 'manifestPath'>,
    env = process.env,
  ): ResolvedVariables {
    const dotenvPath = join(app.baseDir, DOTENV_FILE);
    const dotenv = app.manifestPath ? readDotenv(dotenvPath) : new Map<string, string>();
    const values = new Map<string, string>();
    const missing: string[] = [];
    for (const [name, spec] of Object.entries(app.variables ?? {})) {
      const key = envName(name);
      const value = env[key] ?? dotenv.get(key) ?? spec.default;
      if (value !== undefined) values.set(name, value);
      else if (spec.required)
        missing.push(`"${name}"${spec.where ? ` (${spec.where.file}:${spec.where.line})` : ''}`);
    }
    if (missing.length > 0) {
      const names =
        missing.length === 1 ? `variable ${missing[0]} is` : `variables ${missing.join(', ')} are`;
      const first = Object.keys(app.variables ?? {}).find(
        (n) => !values.has(n) && app.variables?.[n]?.required,
      );
      throw new CapabilityConfigError(
        `${names} required but not set: set ${envName(first ?? 'name')}=… in the environment or in ${dotenvPath}`,
      );
    }
    return new ResolvedVariables(values);
  }

  /**
   * The variables one component sees: each of its templates with the app's values put in; a
   * template naming a variable that has no value leaves that component variable unset.
   */
  forComponent(spec: Pick<ComponentSpec, 'variables'>): Map<string, string> {
    const seen = new Map<string, string>();
    for (const [name, template] of Object.entries(spec.variables ?? {})) {
      let complete = true;
      const value = template.replace(TEMPLATE_REFERENCE, (_, reference: string) => {
        const resolved = this.#values.get(reference);
        if (resolved === undefined) complete = false;
        return resolved ?? '';
      });
      if (complete) seen.set(name, value);
    }
    return seen;
  }
}

/** `KEY=value` lines; `#` comments, `export KEY=…`, and single or double quotes (with \n in double). */
export function parseDotenv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, key, rest] = match as unknown as [string, string, string];
    let value = rest;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else value = value.replace(/\s+#.*$/, '');
    values.set(key, value);
  }
  return values;
}

function readDotenv(path: string): Map<string, string> {
  try {
    return parseDotenv(readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new CapabilityConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
}
