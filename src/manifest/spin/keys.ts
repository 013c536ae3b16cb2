/**
 * The keys of a Spin manifest (version 2, as Spin 2, 3 and 4 read it), spot by spot, and what
 * Skiff does with each: maps it onto its own manifest, reads and drops it (metadata for other
 * tools, which changes nothing at run time), or refuses it by name with what to do instead —
 * never a silent ignore of something the app asked for.
 */
import type { Table } from '../checker.ts';
import { closestMatch } from '../keys.ts';
import type { KeyPath } from '../locate.ts';
import type { SpinManifestChecker } from './checker.ts';

export interface Refusal {
  /** Why Skiff cannot honour it (after `"key" in [spot]: `). */
  reason: string;
  /** What to do instead. */
  hint: string;
}

interface SpotKeys {
  /** Keys carried over into the Skiff manifest. */
  mapped: readonly string[];
  /** Keys read and dropped: nothing at run time depends on them. */
  ignored?: readonly string[];
  refused?: Readonly<Record<string, Refusal>>;
  /** Text Spin takes `""` for as "not set" (its templates write `description = ""`); Skiff wants it absent. */
  emptyIsUnset?: readonly string[];
}

const RUN_WITH_SPIN = 'or run this app with `spin up`';

export const SPIN_KEYS = {
  topLevel: { mapped: ['spin_manifest_version', 'application', 'variables', 'trigger', 'component'] },
  application: {
    mapped: ['name', 'version', 'description', 'trigger'],
    emptyIsUnset: ['version', 'description'],
    // `targets` names Spin environments to check compatibility with; `tool` is for other tools.
    ignored: ['authors', 'targets', 'tool'],
  },
  variable: { mapped: ['default', 'required', 'secret'], ignored: ['description'] },
  httpTrigger: {
    mapped: ['route', 'component', 'executor'],
    ignored: ['id'],
    refused: {
      static_response: {
        reason: 'Skiff answers every route with a component, not a fixed response',
        hint: 'serve the response from a small component, or remove this trigger',
      },
      dependencies: {
        reason: "Skiff does not compose Spin's trigger middleware",
        hint: 'write the app as a skiff.toml, where middleware = ["component-id", …] on a component chains WASI 0.3 middleware',
      },
      components: {
        reason: 'Skiff runs one component per HTTP trigger',
        hint: 'remove it, and name the handler with component = "…"',
      },
    },
  },
  component: {
    mapped: [
      'source',
      'description',
      'variables',
      'environment',
      'files',
      'allowed_outbound_hosts',
      'key_value_stores',
      'build',
    ],
    emptyIsUnset: ['description'],
    // `profile` overrides apply only under `spin up --profile`; without it Spin ignores them too.
    ignored: ['targets', 'tool', 'profile'],
    refused: {
      sqlite_databases: {
        reason: 'Skiff has no SQLite interface for guests yet (fermyon:spin/sqlite)',
        hint: `remove it and the component's SQLite calls, ${RUN_WITH_SPIN}`,
      },
      ai_models: {
        reason: 'Skiff has no AI inference interface (fermyon:spin/llm)',
        hint: `remove it and the component's inference calls, ${RUN_WITH_SPIN}`,
      },
      exclude_files: {
        reason:
          'Skiff mounts files and folders as they are (it does not copy them) and cannot leave some out',
        hint: 'move what should stay hidden out of the mounted folders, then remove exclude_files',
      },
      allowed_http_hosts: {
        reason: "Spin 1's permission list, which manifest version 2 replaced with allowed_outbound_hosts",
        hint: 'write allowed_outbound_hosts = ["https://example.com"] instead',
      },
      dependencies: {
        reason: 'Skiff does not compose component dependencies when it loads an app',
        hint: 'compose them ahead of time (`wac plug app.wasm --plug dep.wasm -o composed.wasm`) and point source at the result',
      },
      dependencies_inherit_configuration: {
        reason: 'Skiff does not compose component dependencies when it loads an app',
        hint: 'compose them ahead of time with `wac plug` and remove this key',
      },
    },
  },
  filePlacement: { mapped: ['source', 'destination'] },
} as const satisfies Record<string, SpotKeys>;

/** Keys of a skiff.toml that Spin's manifest does not have, with how to get the same from `skiff up`. */
const SKIFF_ONLY: Readonly<Record<string, string>> = {
  skiff_manifest_version: 'a file is either a spin.toml or a skiff.toml: remove one of the two version keys',
  timeout: 'pass --timeout to skiff up',
  max_cpu: 'pass --max-cpu to skiff up',
  max_memory: 'pass --max-memory to skiff up',
  max_concurrent: 'pass --max-concurrent to skiff up',
  lifecycle: 'pass --lifecycle to skiff up',
  allowed_bind_addresses: 'pass --allow-bind to skiff up',
  middleware: 'write the app as a skiff.toml to chain middleware',
  read_only: "Spin's files are read-only; write the app as a skiff.toml for a writable mount",
};

/**
 * Checks the keys of one Spin table (written at `at.original`) and returns the mapped ones; the
 * rest are dropped, the refused and unknown ones reported.
 */
export function spinTableKeys(
  checker: SpinManifestChecker,
  table: Table,
  at: { original: KeyPath; spot: string },
  keys: SpotKeys,
): Table {
  const kept: Table = {};
  const refused: Readonly<Record<string, Refusal>> = keys.refused ?? {};
  const known = [...keys.mapped, ...(keys.ignored ?? []), ...Object.keys(refused)];
  for (const [key, value] of Object.entries(table)) {
    const where = [...at.original, key];
    if (keys.mapped.includes(key)) {
      if (value !== '' || !keys.emptyIsUnset?.includes(key)) kept[key] = value;
    } else if (keys.ignored?.includes(key)) continue;
    else if (Object.hasOwn(refused, key)) {
      if (asksForNothing(value)) continue;
      const { reason, hint } = refused[key] as Refusal;
      checker.refuse(where, undefined, `"${key}" in ${at.spot}: ${reason}`, hint);
    } else if (Object.hasOwn(SKIFF_ONLY, key)) {
      checker.refuse(
        where,
        undefined,
        `"${key}" in ${at.spot} is a skiff.toml key; a spin.toml takes Spin's keys only`,
        SKIFF_ONLY[key] as string,
      );
    } else {
      const guess = closestMatch(key, known);
      checker.refuse(
        where,
        undefined,
        `unknown key "${key}" in ${at.spot} of a Spin manifest`,
        guess ? `did you mean "${guess}"?` : `valid keys here: ${known.join(', ')}`,
      );
    }
  }
  return kept;
}

/** `sqlite_databases = []`, `dependencies = {}`, `… = false`: written, but asking for nothing. */
function asksForNothing(value: unknown): boolean {
  if (value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}
