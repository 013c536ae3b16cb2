/**
 * The one shape every capability has (env, files, outbound HTTP, key-value, variables, logging):
 *
 *   validate   its keys of a `[component.X]` table → the fields of ComponentSpec it owns, problems
 *              reported with file:line (manifest side, synchronous, no I/O); a capability with
 *              top-level keys (`[variables]`) reads them too, and checks what needs the whole app
 *   configure  once per served app: its state from the runtime-config file and the environment
 *              (backends, resolved variables); throws CapabilityConfigError naming what is wrong
 *   prepare    once per component: what its instances get
 *   instance   per instance: the host objects it adds to the imports, keyed by interface
 *
 * plus the WIT interfaces it provides and the host functions a guest suspends on. The registry
 * (registry.ts) lists them; nothing else names a capability or a backend.
 */
import type { App, ComponentSpec } from '../manifest/app.ts';
import type { ManifestChecker, Table } from '../manifest/checker.ts';
import type { KeyPath } from '../manifest/locate.ts';
import type { AppContents } from '../manifest/validate-app.ts';
import type { RuntimeConfig } from './runtime-config.ts';

/** Where a capability reads its keys: one `[component.X]` table. */
export interface ComponentTable {
  checker: ManifestChecker;
  component: Table;
  path: KeyPath;
  /** `[component.X]`, for messages. */
  spot: string;
  id: string;
}

/** What one instance gets from a capability. */
export interface InstanceHost {
  imports: Record<string, object>;
  /** The instance is gone: release what it opened. */
  dispose?(): void;
  /** The instance lives on for another request: release what the guest opened, keep the grant. */
  reset?(): void;
}

/** Who an instance is, as capabilities need it (log lines, errors). */
export interface InstanceContext {
  componentId: string;
  /** A host log line about this instance (denials, backend failures). */
  log: (message: string) => void;
  /** A line the guest logged, as its stdout lines go. */
  guestLog: (line: string) => void;
}

export interface Prepared {
  instance(context: InstanceContext): InstanceHost;
}

/** A capability's problem with the running app's configuration (runtime config, environment). */
export class CapabilityConfigError extends Error {
  override name = 'CapabilityConfigError';
}

// biome-ignore lint/suspicious/noExplicitAny: each capability has its own state type
export interface Capability<State = any> {
  /** As errors and docs name it: `key-value`. */
  readonly name: string;
  /** Its keys in `[component.X]`; src/manifest/keys.ts lists the same (keys.test.ts checks). */
  readonly componentKeys: readonly string[];
  validate?(at: ComponentTable): Partial<ComponentSpec>;
  /** Its top-level keys (`variables`) and what needs the whole app, once every component is read. */
  readonly topLevelKeys?: readonly string[];
  validateApp?(checker: ManifestChecker, root: Table, app: AppContents): Partial<AppContents>;
  /** Its top-level tables in the runtime-config file (`key_value_store`). */
  readonly runtimeConfigTables?: readonly string[];
  /** The app-wide state its instances share (backends, resolved variables). */
  configure?(app: App, config: RuntimeConfig): State | Promise<State>;
  /** Undefined when it adds no imports of its own (env, files and outbound feed the WASI host). */
  prepare?(spec: ComponentSpec, state: State, app: App): Prepared;
  /** Releases what `configure` opened (connections, files). */
  close?(state: State): Promise<void>;
  /** The interfaces it adds (host key, i.e. without version) and the versions it accepts (any: undefined). */
  readonly interfaces?: ReadonlyArray<{ name: string; versions?: readonly RegExp[] }>;
  /** Host functions a guest suspends on, `interface#function` (interface without version). */
  readonly suspendingImports?: readonly string[];
}
