/**
 * A loaded component: validated, transpiled (cached), core modules compiled once. Each call to
 * `instantiate` makes a fresh instance with its own imports; compiled code is shared.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GuestExit } from '../wasi/cli.ts';
import { adaptPreview1 } from './adapt-preview1.ts';
import { coreModulesOf, preparedCoreModule } from './binding/core-modules.ts';
import {
  checkSupported,
  instantiateComponent,
  UnsupportedComponentError,
} from './binding/link/instantiate.ts';
import { ComponentParseError, parseComponent, type ResolvedComponent } from './binding/parse/index.ts';
import { processedBy } from './binding/producers.ts';
import { ComponentLoadError } from './errors.ts';
import { InstanceState } from './instance-state.ts';
import { interruptController } from './interrupt/controller.ts';
import { GuestDeadline } from './interrupt/guest-deadline.ts';
import { UnsupportedInstructionError } from './interrupt/instructions.ts';
import {
  createHostMemory,
  FLAG_MEMORY,
  HOST_MEMORY,
  type HostMemory,
  hostMemories,
} from './interrupt/instrument.ts';
import { limitMemory, MemoryLimitError, WASM_PAGE } from './limit-memory.ts';
import { TableLimitError } from './limit-tables.ts';
import { ASYNC_IMPORTS, defaultCacheDir, transpileCached } from './transpile-cache.ts';
import { wasmKind } from './wasm-kind.ts';

export type EntryPoint = 'http' | 'command';

const ENTRY_EXPORTS: Record<EntryPoint, string> = {
  http: 'wasi:http/incoming-handler',
  command: 'wasi:cli/run',
};

type InstantiateCore = (
  module: WebAssembly.Module,
  imports: WebAssembly.Imports,
) => Promise<WebAssembly.Instance>;
type Glue = {
  instantiate(
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, object>,
    instantiateCore?: InstantiateCore,
  ): Promise<GuestExports>;
};

/**
 * The preview1 adapter turns every non-zero proc_exit into `exit(err)`, i.e. status 1. Catching the
 * call where a core module imports it keeps the guest's real status, as a native runtime would —
 * for modules adapted here and for components that were adapted at build time alike.
 */
function withPreview1ExitStatus(imports: WebAssembly.Imports | undefined): WebAssembly.Imports | undefined {
  const preview1 = imports?.wasi_snapshot_preview1;
  if (!preview1 || !('proc_exit' in preview1)) return imports;
  const procExit = (code: number): never => {
    throw new GuestExit(code >>> 0);
  };
  return { ...imports, wasi_snapshot_preview1: { ...preview1, proc_exit: procExit } };
}

/** One instance of a component: its exports, and the state it can be reset to. */
export interface GuestInstance {
  exports: GuestExports;
  /** Arm it before calling in: past the deadline, the guest traps at its next loop or call. */
  deadline: GuestDeadline;
  /** Back to the state right after instantiation; false if that is impossible (then discard it). */
  reset(): boolean;
  /** The instance will not be called again. */
  dispose(): void;
}
// The glue's exports are typed by the component's WIT, which this host only knows at run time.
// biome-ignore lint/suspicious/noExplicitAny: shape checked by the entry-point callers
export type GuestExports = Record<string, any>;

/**
 * Which code binds the component's core modules to the host: Skiff's own canonical-ABI binder
 * (src/engine/binding/), or jco's generated glue, kept as the reference and an explicit fallback.
 */
export type BinderName = 'skiff' | 'jco';
export const DEFAULT_BINDER: BinderName = 'skiff';

/** The host functions that return promises: under JSPI the guest suspends on them. */
const SUSPENDING_IMPORTS: ReadonlySet<string> = new Set(ASYNC_IMPORTS);

type Binding =
  | { kind: 'jco'; glue: Glue; modules: Map<string, WebAssembly.Module> }
  | { kind: 'skiff'; resolved: ResolvedComponent; modules: Map<Uint8Array, WebAssembly.Module> };

export interface LoadOptions {
  cacheDir?: string;
  /** Skiff's binder by default; `jco` for the generated glue. */
  binder?: BinderName;
  /** Wrap a preview1 core module with the preview1 adapter instead of rejecting it. */
  adaptCoreModule?: 'command' | 'reactor';
  /** Caps each linear memory of the component; growing past it fails inside the guest. */
  maxMemoryBytes?: number;
}

export class Component {
  readonly file: string;
  readonly exports: string[];
  readonly imports: string[];
  readonly processedBy: string[];
  readonly binder: BinderName;
  readonly #binding: Binding;
  /** The memories each core module used to define, which the host creates per instance. */
  readonly #memories: Map<WebAssembly.Module, HostMemory[]>;

  private constructor(
    file: string,
    names: { exports: string[]; imports: string[]; processedBy: string[] },
    binding: Binding,
    memories: Map<WebAssembly.Module, HostMemory[]>,
  ) {
    this.file = file;
    this.exports = names.exports;
    this.imports = names.imports;
    this.processedBy = names.processedBy;
    this.binder = binding.kind;
    this.#binding = binding;
    this.#memories = memories;
  }

  static async load(file: string, options: LoadOptions = {}): Promise<Component> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new ComponentLoadError(
        file,
        `cannot read the file (${(e as NodeJS.ErrnoException).code ?? e})`,
        'check the path',
      );
    }
    if (wasmKind(bytes, file) === 'core-module') {
      if (!options.adaptCoreModule) {
        throw new ComponentLoadError(
          file,
          'this is a core WebAssembly module, not a component',
          'build for a WASI 0.2 target (e.g. `cargo build --target wasm32-wasip2`), or adapt it: ' +
            '`wasm-tools component new module.wasm --adapt wasi_snapshot_preview1.reactor.wasm -o component.wasm`' +
            ' (`skiff run` adapts preview1 commands by itself)',
        );
      }
      bytes = await adaptPreview1(bytes, options.adaptCoreModule);
    }
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const memories = new Map<WebAssembly.Module, HostMemory[]>();
    const maxPages =
      options.maxMemoryBytes === undefined ? undefined : Math.floor(options.maxMemoryBytes / WASM_PAGE);
    const compile = async (prepared: Uint8Array): Promise<WebAssembly.Module> => {
      const module = await WebAssembly.compile(prepared as Uint8Array<ArrayBuffer>);
      try {
        memories.set(
          module,
          hostMemories(prepared).map((memory) => limitMemory(memory, maxPages)),
        );
      } catch (e) {
        if (!(e instanceof MemoryLimitError)) throw e;
        throw new ComponentLoadError(file, e.message, 'raise --max-memory');
      }
      return module;
    };
    return withLoadErrors(file, async () => {
      if ((options.binder ?? DEFAULT_BINDER) === 'jco') {
        const transpiled = await transpileCached(bytes, cacheDir);
        const modules = new Map<string, WebAssembly.Module>();
        for (const [name, path] of transpiled.coreModules)
          modules.set(name, await compile(await readFile(path)));
        const glue = (await import(pathToFileURL(transpiled.gluePath).href)) as Glue;
        return new Component(file, transpiled, { kind: 'jco', glue, modules }, memories);
      }
      const resolved = parseComponent(bytes);
      checkSupported(resolved.component);
      const modules = new Map<Uint8Array, WebAssembly.Module>();
      for (const module of coreModulesOf(resolved.component))
        modules.set(module, await compile(await preparedCoreModule(module, cacheDir)));
      const names = {
        exports: resolved.world.exports.map((e) => e.name),
        imports: resolved.world.imports.map((i) => i.name),
        processedBy: processedBy(resolved.component.customSections),
      };
      return new Component(file, names, { kind: 'skiff', resolved, modules }, memories);
    });
  }

  /**
   * componentize-js (StarlingMonkey) guests answer the fetch event once per instance: a second
   * request to the same instance never gets a response (StarlingMonkey issue 247).
   */
  get answersOncePerInstance(): boolean {
    return this.processedBy.some((tool) => tool.startsWith('ComponentizeJS'));
  }

  /** The versioned export that implements `entry`, if any. */
  exportFor(entry: EntryPoint): string | undefined {
    const name = ENTRY_EXPORTS[entry];
    return this.exports.find((e) => e === name || e.startsWith(`${name}@`));
  }

  /** Throws a load error that lists what the component does export. */
  requireEntry(entry: EntryPoint): string {
    const found = this.exportFor(entry);
    if (found) return found;
    const wanted = ENTRY_EXPORTS[entry];
    const other = entry === 'http' ? 'command' : 'http';
    const hint =
      this.exportFor(other) !== undefined
        ? entry === 'http'
          ? `it is a command: run it with \`skiff run ${basename(this.file)}\``
          : `it is an HTTP handler: serve it with \`skiff up --component ${basename(this.file)}\``
        : `build it for a world that exports ${wanted} (e.g. wasi:http/proxy)`;
    throw new ComponentLoadError(
      this.file,
      `the component does not export ${wanted}; it exports: ${this.exports.join(', ') || '(nothing)'}`,
      hint,
    );
  }

  async instantiate(imports: Record<string, object>): Promise<GuestInstance> {
    const deadline = new GuestDeadline(interruptController());
    const coreInstances: WebAssembly.Instance[] = [];
    const coreImportsFor = (module: WebAssembly.Module, coreImports: WebAssembly.Imports) => {
      const memories: Record<string, WebAssembly.Memory> = {};
      for (const memory of this.#memories.get(module) ?? [])
        memories[memory.index] = createHostMemory(memory);
      return {
        ...withPreview1ExitStatus(coreImports),
        [HOST_MEMORY]: memories,
        [FLAG_MEMORY.module]: { [FLAG_MEMORY.name]: deadline.flagMemory },
      };
    };
    try {
      const binding = this.#binding;
      if (binding.kind === 'skiff') {
        const linked = instantiateComponent(binding.resolved, {
          hostImports: imports,
          coreModule: (bytes) => binding.modules.get(bytes) as WebAssembly.Module,
          instantiateCore: (module, coreImports) => {
            const instance = new WebAssembly.Instance(module, coreImportsFor(module, coreImports));
            coreInstances.push(instance);
            return instance;
          },
          suspendingImports: SUSPENDING_IMPORTS,
        });
        const state = new InstanceState(coreInstances);
        // Handle tables are part of the state: a reset instance holds exactly the handles a new one would.
        const handles = linked.state.snapshot();
        const reset = () => {
          if (!state.restore()) return false;
          linked.state.restore(handles);
          return true;
        };
        return { exports: linked.exports, deadline, reset, dispose: () => deadline.release() };
      }
      const getCoreModule = (name: string) => {
        const module = binding.modules.get(name);
        if (!module) throw new Error(`transpiled glue asked for unknown core module ${name}`);
        return module;
      };
      const instantiateCore: InstantiateCore = async (module, coreImports) => {
        const instance = await WebAssembly.instantiate(module, coreImportsFor(module, coreImports));
        coreInstances.push(instance);
        return instance;
      };
      const exports = await binding.glue.instantiate(getCoreModule, imports, instantiateCore);
      const state = new InstanceState(coreInstances);
      return { exports, deadline, reset: () => state.restore(), dispose: () => deadline.release() };
    } catch (e) {
      deadline.release();
      throw e;
    }
  }
}

/** Runs the loading steps, turning what can go wrong into a load error that says what to do. */
async function withLoadErrors(file: string, load: () => Promise<Component>): Promise<Component> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof ComponentLoadError) throw e;
    if (e instanceof TableLimitError)
      throw new ComponentLoadError(file, e.message, 'tables that large are refused (a wasm bomb); shrink it');
    if (e instanceof UnsupportedInstructionError)
      throw new ComponentLoadError(
        file,
        e.message,
        'Skiff runs only code it can stop at a timeout; build without that proposal',
      );
    if (e instanceof ComponentParseError)
      throw new ComponentLoadError(
        file,
        `not a valid component: ${e.message.split('\n  hint: ')[0]}`,
        e.hint,
      );
    if (e instanceof UnsupportedComponentError)
      throw new ComponentLoadError(file, e.message, 'try --binder jco');
    throw new ComponentLoadError(
      file,
      `not a valid component: ${e instanceof Error ? e.message : e}`,
      'rebuild it; the file may be truncated',
    );
  }
}
