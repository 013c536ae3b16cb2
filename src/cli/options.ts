/**
 * Command-line options: `--name value`, `--name=value`, repeatable list options, booleans.
 * Parsing stops at the first positional when `stopAtPositional` is set (`skiff run FILE args…`),
 * so everything after the file belongs to the guest, as with `wasmtime run`.
 */
import { resolve } from 'node:path';
import type { FileMount } from '../manifest/app.ts';
import { parseSize as parseSizeText } from '../manifest/size.ts';

export type OptionKind = 'string' | 'list' | 'boolean';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedOptions {
  values: Map<string, string | string[] | boolean>;
  positionals: string[];
}

export function parseOptions(
  argv: string[],
  spec: Record<string, OptionKind>,
  stopAtPositional: boolean,
): ParsedOptions {
  const values = new Map<string, string | string[] | boolean>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--') || arg === '--') {
      const rest = arg === '--' ? argv.slice(i + 1) : argv.slice(i);
      if (stopAtPositional) {
        positionals.push(...rest);
        break;
      }
      if (arg === '--') {
        positionals.push(...rest);
        break;
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (!kind) {
      const known = Object.keys(spec)
        .map((k) => `--${k}`)
        .join(', ');
      throw new UsageError(`unknown option --${name} (known: ${known})`);
    }
    if (kind === 'boolean') {
      values.set(name, true);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (kind === 'list') values.set(name, [...((values.get(name) as string[]) ?? []), value]);
    else values.set(name, value);
  }
  return { values, positionals };
}

export const stringOption = (o: ParsedOptions, name: string): string | undefined =>
  o.values.get(name) as string | undefined;
export const listOption = (o: ParsedOptions, name: string): string[] =>
  (o.values.get(name) as string[] | undefined) ?? [];

/** Flags that grant a guest something; `up` and `run` take the same ones. */
export const GRANT_OPTIONS = {
  env: 'list',
  dir: 'list',
  'allow-outbound': 'list',
  'allow-bind': 'list',
} as const;

export interface GrantFlags {
  environment: Record<string, string>;
  files: FileMount[];
  allowedOutboundHosts: string[];
  /** `--allow-bind tcp://127.0.0.1:*`: local addresses wasi:sockets may bind (none by default). */
  allowedBindAddresses: string[];
}

export function grantFlags(o: ParsedOptions): GrantFlags {
  return {
    environment: parseEnv(listOption(o, 'env')),
    files: listOption(o, 'dir').map(parseDir),
    allowedOutboundHosts: listOption(o, 'allow-outbound'),
    allowedBindAddresses: listOption(o, 'allow-bind'),
  };
}

/** A size flag such as `--max-memory 64MiB`, in bytes; undefined when absent. */
export function sizeOption(o: ParsedOptions, name: string): number | undefined {
  const text = stringOption(o, name);
  return text === undefined ? undefined : parseSize(name, text);
}

/** `--max-memory 64MiB`: a whole number and a binary unit (B, KiB, MiB, GiB), in the manifest's grammar. */
export function parseSize(flag: string, text: string): number {
  const bytes = parseSizeText(text);
  if (bytes === undefined)
    throw new UsageError(`--${flag} ${text}: expected a size such as 64MiB, 512KiB or 1GiB`);
  return bytes;
}

/** `--env K=V` (repeatable). */
export function parseEnv(entries: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env ${entry}: expected NAME=VALUE, e.g. --env GREETING=hi`);
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** `--dir HOST[::GUEST][::ro|::rw]` — read-only unless `::rw` is given. */
export function parseDir(entry: string): FileMount {
  const parts = entry.split('::');
  let readOnly = true;
  if (parts.length > 1 && (parts.at(-1) === 'ro' || parts.at(-1) === 'rw')) readOnly = parts.pop() === 'ro';
  const [host, guest = host, ...extra] = parts;
  if (!host || extra.length > 0)
    throw new UsageError(`--dir ${entry}: expected HOST::GUEST (optionally ::rw), e.g. --dir ./data::/data`);
  const guestPath = guest === '.' ? '/' : guest;
  if (!guestPath?.startsWith('/'))
    throw new UsageError(`--dir ${entry}: the guest path must be absolute, e.g. ${host}::/${guest}`);
  return { hostPath: resolve(host), guestPath, readOnly };
}

/** `--log-format json|pretty` (`up` and `run`); unset, SKIFF_LOG_FORMAT or the terminal decides (logger.ts). */
export function logFormatOption(o: ParsedOptions): 'json' | 'pretty' | undefined {
  const format = stringOption(o, 'log-format');
  if (format === undefined || format === 'json' || format === 'pretty') return format;
  throw new UsageError(
    `--log-format ${format}: expected json (one JSON object per line) or pretty (text for a terminal)`,
  );
}
