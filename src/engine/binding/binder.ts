/**
 * The seam between a component and the host: a binder turns a component's bytes into something
 * that instantiates its core modules with the host's imports and hands back typed exports. Skiff's
 * own binder is the default; jco's generated glue is the reference and an explicit fallback.
 * Whichever binds, core modules go through the same preparation (`compile`) and instantiation
 * (`CoreInstantiator`), so limits, interrupt checks and snapshots do not depend on the choice.
 */

export type BinderName = 'skiff' | 'jco';

// Exports are typed by the component's WIT, which the host only knows at run time.
// biome-ignore lint/suspicious/noExplicitAny: shape checked by the entry-point callers
export type GuestExports = Record<string, any>;

export interface BinderContext {
  cacheDir: string;
  /** Prepares (instruments, caches) and compiles one core module. */
  compile(prepared: Uint8Array): Promise<WebAssembly.Module>;
}

export interface CoreInstantiator {
  /** Instantiates one core module with the host's own additions (memories, flag memory). */
  instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): WebAssembly.Instance;
}

export interface BoundInstance {
  exports: GuestExports;
  /**
   * Captures the binder's own per-instance state (handle tables); the returned function puts it
   * back, or returns false when the instance is in no state to be reused.
   */
  snapshot?(): () => boolean;
  /** Resolves once no async call of the instance runs (WASI 0.3); see GuestInstance.whenIdle. */
  whenIdle?(): Promise<void>;
}

export interface BoundComponent {
  exports: string[];
  imports: string[];
  /** The component's `processed-by` producers, e.g. `ComponentizeJS 0.23.0`. */
  processedBy: string[];
  instantiate(hostImports: Record<string, object>, core: CoreInstantiator): Promise<BoundInstance>;
}

export type Binder = (bytes: Uint8Array, context: BinderContext) => Promise<BoundComponent>;
