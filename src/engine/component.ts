/**
 * A loaded component: validated, transpiled (cached), core modules compiled once. Each call to
 * `instantiate` makes a fresh instance with its own imports; compiled code is shared.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GuestExit } from '../wasi/cli.ts';
import { adaptPreview1 } from './adapt-preview1.ts';
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
import { defaultCacheDir, type TranspiledComponent, transpileCached } from './transpile-cache.ts';
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

export interface LoadOptions {
  cacheDir?: string;
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
  readonly #glue: Glue;
  readonly #modules: Map<string, WebAssembly.Module>;
  /** The memories each core module used to define, which the host creates per instance. */
  readonly #memories: Map<WebAssembly.Module, HostMemory[]>;

  private constructor(
    file: string,
    transpiled: TranspiledComponent,
    glue: Glue,
    modules: Map<string, WebAssembly.Module>,
    memories: Map<WebAssembly.Module, HostMemory[]>,
  ) {
    this.file = file;
    this.exports = transpiled.exports;
    this.imports = transpiled.imports;
    this.processedBy = transpiled.processedBy;
    this.#glue = glue;
    this.#modules = modules;
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
    let transpiled: TranspiledComponent;
    try {
      transpiled = await transpileCached(bytes, options.cacheDir ?? defaultCacheDir());
    } catch (e) {
      if (e instanceof TableLimitError) {
        throw new ComponentLoadError(
          file,
          e.message,
          'tables that large are refused (a wasm bomb); shrink it',
        );
      }
      if (e instanceof UnsupportedInstructionError) {
        throw new ComponentLoadError(
          file,
          e.message,
          'Skiff runs only code it can stop at a timeout; build without that proposal',
        );
      }
      throw new ComponentLoadError(
        file,
        `not a valid component: ${e instanceof Error ? e.message : e}`,
        'rebuild it; the file may be truncated',
      );
    }
    const modules = new Map<string, WebAssembly.Module>();
    const memories = new Map<WebAssembly.Module, HostMemory[]>();
    const maxPages =
      options.maxMemoryBytes === undefined ? undefined : Math.floor(options.maxMemoryBytes / WASM_PAGE);
    for (const [name, path] of transpiled.coreModules) {
      const core = await readFile(path);
      const module = await WebAssembly.compile(core);
      try {
        memories.set(
          module,
          hostMemories(core).map((memory) => limitMemory(memory, maxPages)),
        );
      } catch (e) {
        if (!(e instanceof MemoryLimitError)) throw e;
        throw new ComponentLoadError(file, e.message, 'raise --max-memory');
      }
      modules.set(name, module);
    }
    const glue = (await import(pathToFileURL(transpiled.gluePath).href)) as Glue;
    return new Component(file, transpiled, glue, modules, memories);
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
    const getCoreModule = (name: string) => {
      const module = this.#modules.get(name);
      if (!module) throw new Error(`transpiled glue asked for unknown core module ${name}`);
      return module;
    };
    const deadline = new GuestDeadline(interruptController());
    const coreInstances: WebAssembly.Instance[] = [];
    const instantiateCore: InstantiateCore = async (module, coreImports) => {
      const memories: Record<string, WebAssembly.Memory> = {};
      for (const memory of this.#memories.get(module) ?? [])
        memories[memory.index] = createHostMemory(memory);
      const instance = await WebAssembly.instantiate(module, {
        ...withPreview1ExitStatus(coreImports),
        [HOST_MEMORY]: memories,
        [FLAG_MEMORY.module]: { [FLAG_MEMORY.name]: deadline.flagMemory },
      });
      coreInstances.push(instance);
      return instance;
    };
    try {
      const exports = await this.#glue.instantiate(getCoreModule, imports, instantiateCore);
      const state = new InstanceState(coreInstances);
      return { exports, deadline, reset: () => state.restore(), dispose: () => deadline.release() };
    } catch (e) {
      deadline.release();
      throw e;
    }
  }
}
