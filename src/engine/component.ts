/**
 * A loaded component: validated, bound by a binder (Skiff's own, or jco's glue), core modules
 * prepared and compiled once. Each call to `instantiate` makes a fresh instance with its own
 * imports; compiled code is shared.
 */

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type CompiledModule,
  compiledModule,
  registerLoadedComponent,
} from '../observability/profile/loaded-components.ts';
import { GuestExit } from '../wasi/cli.ts';
import { adaptPreview1 } from './adapt-preview1.ts';
import type { Binder, BinderName, BoundComponent, GuestExports } from './binding/binder.ts';
import { jcoBinder } from './binding/jco-binder.ts';
import { UnsupportedComponentError } from './binding/link/instantiate.ts';
import { ComponentParseError } from './binding/parse/index.ts';
import { skiffBinder } from './binding/skiff-binder.ts';
import { defaultCacheDir } from './core-module.ts';
import { ComponentLoadError } from './errors.ts';
import { InstanceState, type MemoryImages } from './instance-state.ts';
import { interruptController } from './interrupt/controller.ts';
import { GuestDeadline } from './interrupt/guest-deadline.ts';
import { UnsupportedInstructionError } from './interrupt/instructions.ts';
import {
  createHostMemory,
  FLAG_MEMORY,
  HOST_MEMORY,
  type HostMemory,
  hostMemories,
  YIELD_TABLE,
} from './interrupt/instrument.ts';
import { installYield } from './interrupt/time-slice.ts';
import { limitMemory, MemoryLimitError, WASM_PAGE } from './limit-memory.ts';
import { TableLimitError } from './limit-tables.ts';
import { hasStartFunction } from './wasm-binary.ts';
import { wasmKind } from './wasm-kind.ts';

export type EntryPoint = 'http' | 'command';

/** The exports that serve an entry point: WASI 0.2's, then 0.3's where its name changed. */
const ENTRY_EXPORTS: Record<EntryPoint, string[]> = {
  http: ['wasi:http/incoming-handler', 'wasi:http/handler'],
  command: ['wasi:cli/run'],
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
  /**
   * Resolves once no async call (WASI 0.3) of the instance is still running: a guest may go on
   * after its call returned (finishing a body, say), and only an idle instance can be reset.
   */
  whenIdle(): Promise<void>;
}
export type { BinderName, GuestExports };

/** Skiff's own binder unless `--binder jco` asks for jco's generated glue. */
export const DEFAULT_BINDER: BinderName = 'skiff';
const BINDERS: Record<BinderName, Binder> = { skiff: skiffBinder, jco: jcoBinder };

export interface LoadOptions {
  cacheDir?: string;
  /** Skiff's binder by default; `jco` for the generated glue. */
  binder?: BinderName;
  /** Wrap a preview1 core module with the preview1 adapter instead of rejecting it. */
  adaptCoreModule?: 'command' | 'reactor';
  /** Caps each linear memory of the component; growing past it fails inside the guest. */
  maxMemoryBytes?: number;
  /** The component's id in its app, which guest CPU profiles name it by; from the file name when absent. */
  id?: string;
}

export class Component {
  readonly file: string;
  readonly exports: string[];
  readonly imports: string[];
  readonly processedBy: string[];
  readonly binder: BinderName;
  readonly #bound: BoundComponent;
  /** The memories each core module used to define, which the host creates per instance. */
  readonly #memories: Map<WebAssembly.Module, HostMemory[]>;
  /** Post-instantiation memory contents, shared by the instances whose memories equal them. */
  readonly #memoryImages: MemoryImages;

  private constructor(
    file: string,
    binder: BinderName,
    bound: BoundComponent,
    memories: Map<WebAssembly.Module, HostMemory[]>,
    deterministic: boolean,
  ) {
    this.file = file;
    this.exports = bound.exports;
    this.imports = bound.imports;
    this.processedBy = bound.processedBy;
    this.binder = binder;
    this.#bound = bound;
    this.#memories = memories;
    this.#memoryImages = { bytes: [], trusted: deterministic };
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
    let deterministic = true;
    const compiled: CompiledModule[] = [];
    const compile = async (prepared: Uint8Array): Promise<WebAssembly.Module> => {
      if (hasStartFunction(prepared)) deterministic = false;
      const module = await WebAssembly.compile(prepared as Uint8Array<ArrayBuffer>);
      compiled.push(compiledModule(module, prepared));
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
    const binder = options.binder ?? DEFAULT_BINDER;
    return withLoadErrors(file, async () => {
      const bound = await BINDERS[binder](bytes, { cacheDir, compile });
      const component = new Component(file, binder, bound, memories, deterministic);
      registerLoadedComponent(component, options.id, file, compiled);
      return component;
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
    const names = ENTRY_EXPORTS[entry];
    const found = this.exports.filter((e) => names.some((name) => e === name || e.startsWith(`${name}@`)));
    // A component exporting both (WASI 0.3 toolchains also export 0.2's run) runs as 0.3.
    return found.find((e) => /@0\.3(\.|$)/.test(e)) ?? found[0];
  }

  /** Throws a load error that lists what the component does export. */
  requireEntry(entry: EntryPoint): string {
    const found = this.exportFor(entry);
    if (found) return found;
    const wanted = ENTRY_EXPORTS[entry].join(' or ');
    const other = entry === 'http' ? 'command' : 'http';
    const hint =
      this.exportFor(other) !== undefined
        ? entry === 'http'
          ? `it is a command: run it with \`skiff run ${basename(this.file)}\``
          : `it is an HTTP handler: serve it with \`skiff up --component ${basename(this.file)}\``
        : `build it for a world that exports ${wanted} (e.g. wasi:http/proxy, or wasi:http/service for WASI 0.3)`;
    throw new ComponentLoadError(
      this.file,
      `the component does not export ${wanted}; it exports: ${this.exports.join(', ') || '(nothing)'}`,
      hint,
    );
  }

  async instantiate(imports: Record<string, object>): Promise<GuestInstance> {
    const deadline = new GuestDeadline(interruptController());
    const coreInstances: WebAssembly.Instance[] = [];
    const core = {
      instantiate: (module: WebAssembly.Module, coreImports: WebAssembly.Imports) => {
        const memories: Record<string, WebAssembly.Memory> = {};
        for (const memory of this.#memories.get(module) ?? [])
          memories[memory.index] = createHostMemory(memory);
        const instance = new WebAssembly.Instance(module, {
          ...withPreview1ExitStatus(coreImports),
          [HOST_MEMORY]: memories,
          [FLAG_MEMORY.module]: { [FLAG_MEMORY.name]: deadline.flagMemory },
        });
        const yieldTable = instance.exports[YIELD_TABLE];
        if (yieldTable instanceof WebAssembly.Table) installYield(yieldTable);
        coreInstances.push(instance);
        return instance;
      },
    };
    try {
      const bound = await this.#bound.instantiate(imports, core);
      const state = new InstanceState(coreInstances, this.#memoryImages);
      // The binder's own state (handle tables) is part of the snapshot: a reset instance holds
      // exactly the handles a new one would.
      const restoreBinder = bound.snapshot?.();
      // jco's glue keeps JS-side tables no snapshot covers: its instances start over now and then.
      let resetsLeft = restoreBinder ? Number.POSITIVE_INFINITY : MAX_RESETS_WITHOUT_SNAPSHOT;
      const reset = () => {
        if (resetsLeft-- <= 0 || !state.restore()) return false;
        return restoreBinder?.() ?? true;
      };
      return {
        exports: bound.exports,
        deadline,
        reset,
        dispose: () => deadline.release(),
        whenIdle: () => bound.whenIdle?.() ?? Promise.resolve(),
      };
    } catch (e) {
      deadline.release();
      throw e;
    }
  }
}

/** How often an instance whose binder state is not in the snapshot (jco's glue) is reset. */
const MAX_RESETS_WITHOUT_SNAPSHOT = 10_000;

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
