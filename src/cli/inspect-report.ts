/**
 * What `skiff inspect` knows about a .wasm file, as one plain object: the text output prints it,
 * `--json` writes it as is. Field names are part of the CLI's contract (COMMAND_HELP.inspect lists them).
 */
import { componentWit, metadataShow } from '@bytecodealliance/jco-transpile/wasm-tools';
import { unprovidedImportHint } from '../capabilities/provided.ts';
import { CAPABILITIES } from '../capabilities/registry.ts';
import { hostInterfaceKey } from '../engine/binding/link/host-functions.ts';
import { parseComponent } from '../engine/binding/parse/index.ts';
import type { WorldItem } from '../engine/binding/parse/world.ts';
import { wasmKind } from '../engine/wasm-kind.ts';

export interface InspectReport {
  file: string;
  kind: 'component' | 'core-module';
  /** Bytes. */
  size: number;
  /** The producers section: `language`, `processed-by`, `sdk` → [{ name, version }]. */
  producers: Record<string, Array<{ name: string; version: string }>>;
  imports: ImportEntry[] | CoreEntry[];
  exports: ExportEntry[] | CoreEntry[];
  /** Whether Skiff links every import (for a core module: all are WASI preview1, which `skiff run` adapts). */
  skiffProvidesAllImports: boolean;
  /** The imports Skiff does not provide, and what would (a core module's as `module#name`). */
  unprovidedImports: Array<{ name: string; hint: string }>;
  /** Components only: the world as WIT text (wasm-tools' printing). */
  wit: string | null;
}

export interface ExportEntry {
  /** As written in the component: `wasi:http/incoming-handler@0.2.0`, or a plain name (`run`). */
  name: string;
  /** `wasi:http/incoming-handler` for an interface name, else null. */
  interface: string | null;
  version: string | null;
  kind: 'interface' | 'function' | 'type' | 'component' | 'module' | 'value';
}

export interface ImportEntry extends ExportEntry {
  provided: boolean;
  /** `wasi` (Skiff's WASI host) or the capability's name (`key-value`, `variables`, `logging`). */
  providedBy: string | null;
  /** The manifest key (and flag) that grants it at run time; null when nothing needs granting. */
  grant: string | null;
  /** When not provided: what would provide it. */
  hint: string | null;
}

/** A core module's import or export (`module` is null for exports). */
export interface CoreEntry {
  module: string | null;
  name: string;
  kind: string;
}

/** What needs a grant to work: linked always, but denied until the manifest (or a flag) allows it. */
const GRANTS: Array<[RegExp, string]> = [
  [/^wasi:filesystem\/preopens@/, 'files (--dir)'],
  [/^wasi:http\/(outgoing-handler|client)@/, 'allowed_outbound_hosts (--allow-outbound)'],
  [
    /^wasi:sockets\//,
    'allowed_outbound_hosts (--allow-outbound) to connect, allowed_bind_addresses (--allow-bind) to bind',
  ],
  [/^wasi:cli\/environment@/, 'environment (--env)'],
  [/^(wasi:keyvalue\/|fermyon:spin\/key-value@|spin:key-value\/)/, 'key_value_stores'],
  [/^(wasi:config\/|fermyon:spin\/variables@|spin:variables\/)/, 'variables'],
];

const PREVIEW1 = 'wasi_snapshot_preview1';
const CORE_IMPORT_HINT = `only ${PREVIEW1} imports are provided to a core module (skiff run adapts it to WASI 0.2)`;

const CAPABILITY_BY_INTERFACE = new Map(
  CAPABILITIES.flatMap((c) => (c.interfaces ?? []).map(({ name }) => [name, c.name] as const)),
);

export async function inspectReport(file: string, bytes: Uint8Array): Promise<InspectReport> {
  const kind = wasmKind(bytes, file) === 'component' ? 'component' : 'core-module';
  const [top] = await metadataShow(bytes);
  const producers: InspectReport['producers'] = {};
  for (const [field, entries] of top?.producers ?? [])
    producers[field] = entries.map(([name, version]) => ({ name, version }));
  const base = { file, kind, size: bytes.length, producers } as const;
  if (kind === 'core-module') {
    const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const imports = WebAssembly.Module.imports(module).map((i) => ({
      module: i.module,
      name: i.name,
      kind: i.kind,
    }));
    // `skiff run` adapts a preview1 command to a component; nothing else links a core module.
    const unprovidedImports = imports
      .filter((i) => i.module !== PREVIEW1)
      .map((i) => ({ name: `${i.module}#${i.name}`, hint: CORE_IMPORT_HINT }));
    return {
      ...base,
      imports,
      exports: WebAssembly.Module.exports(module).map((e) => ({ module: null, name: e.name, kind: e.kind })),
      skiffProvidesAllImports: unprovidedImports.length === 0,
      unprovidedImports,
      wit: null,
    };
  }
  const { world } = parseComponent(bytes);
  const imports = world.imports.map(importEntry);
  const unprovidedImports = imports.flatMap((i) => (i.hint === null ? [] : [{ name: i.name, hint: i.hint }]));
  return {
    ...base,
    imports,
    exports: world.exports.map(exportEntry),
    skiffProvidesAllImports: unprovidedImports.length === 0,
    unprovidedImports,
    wit: await componentWit(bytes),
  };
}

const KIND_NAMES: Record<WorldItem['item']['kind'], ExportEntry['kind']> = {
  instance: 'interface',
  func: 'function',
  type: 'type',
  component: 'component',
  module: 'module',
  value: 'value',
};

function exportEntry({ name, item }: WorldItem): ExportEntry {
  // `ns:pkg/iface@1.2.3`; a plain name (`run`, `greet`) has neither interface nor version.
  const match = /^([^:@/]+:[^@/]+\/[^@]+)(?:@(.+))?$/.exec(name);
  return { name, interface: match?.[1] ?? null, version: match?.[2] ?? null, kind: KIND_NAMES[item.kind] };
}

function importEntry(item: WorldItem): ImportEntry {
  const entry = exportEntry(item);
  const hint = unprovidedImportHint(item.name) ?? null;
  const provided = hint === null;
  const capability = entry.interface ? CAPABILITY_BY_INTERFACE.get(hostInterfaceKey(item.name)) : undefined;
  return {
    ...entry,
    provided,
    providedBy: !provided || !entry.interface ? null : (capability ?? 'wasi'),
    grant: provided ? (GRANTS.find(([pattern]) => pattern.test(item.name))?.[1] ?? null) : null,
    hint,
  };
}
