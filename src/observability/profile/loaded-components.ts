/**
 * The components loaded in this thread, with what the profiler needs of their compiled core modules.
 * `Component.load` registers each component it loaded. Entries hold the component and its modules
 * weakly: a reloaded or dropped component leaves the list with its code, and a component that never
 * gets profiled costs only its function table (4 bytes a function), read once at load.
 */
import { basename, extname } from 'node:path';
import { toIdentifier } from '../../manifest/keys.ts';
import { type FunctionTable, functionNames, functionTable } from './module-functions.ts';

/** A core module as `Component.load` compiled it, before the component is registered. */
export interface CompiledModule {
  module: WebAssembly.Module;
  table: FunctionTable;
}

/** One core module of a loaded component. */
export interface GuestModule {
  componentId: string;
  /** Its position among the component's core modules, in the order they were compiled. */
  index: number;
  table: FunctionTable;
  /** Function index → name, read from the module's `name` section the first time it is needed. */
  names(): Map<number, string>;
}

export interface LoadedComponent {
  /** The component's id in its app (`[component.<id>]`), or one made from its file name. */
  id: string;
  file: string;
  modules: GuestModule[];
}

interface Entry {
  owner: WeakRef<object>;
  id: string;
  file: string;
  modules: GuestModule[];
}

const entries: Entry[] = [];

/** Keeps what profiles need of a module Component.load compiled: its function table, not its bytes. */
export function compiledModule(module: WebAssembly.Module, prepared: Uint8Array): CompiledModule {
  return { module, table: functionTable(prepared) };
}

/**
 * Records a loaded component. `owner` (the Component) keeps the entry alive; `id` is its id in its
 * app, when the loader knows it; otherwise the id is made from the file name, as `skiff up
 * --component FILE` names a component.
 */
export function registerLoadedComponent(
  owner: object,
  id: string | undefined,
  file: string,
  compiled: readonly CompiledModule[],
): void {
  prune();
  const componentId = id ?? toIdentifier(basename(file, extname(file)), 'component');
  const modules = compiled.map(({ module, table }, index): GuestModule => {
    const weakModule = new WeakRef(module);
    let names: Map<number, string> | undefined;
    return {
      componentId,
      index,
      table,
      names() {
        if (names) return names;
        const live = weakModule.deref();
        names = live ? functionNames(WebAssembly.Module.customSections(live, 'name')) : new Map();
        return names;
      },
    };
  });
  entries.push({ owner: new WeakRef(owner), id: componentId, file, modules });
}

/** The components loaded in this thread that are still in use, in load order. */
export function loadedComponents(): LoadedComponent[] {
  prune();
  return entries.map(({ id, file, modules }) => ({ id, file, modules }));
}

/** The ids of the loaded components, sorted, each once. */
export function loadedComponentIds(): string[] {
  return [...new Set(loadedComponents().map((c) => c.id))].sort();
}

function prune(): void {
  for (let i = entries.length - 1; i >= 0; i--)
    if (entries[i]?.owner.deref() === undefined) entries.splice(i, 1);
}
