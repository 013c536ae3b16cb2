/** Skiff's own binder: parse the component, prepare its core modules, link it per instance. */
import { SUSPENDING_IMPORTS as SUSPENDING } from '../core-module.ts';
import type { Binder } from './binder.ts';
import { coreModulesOf, preparedCoreModule } from './core-modules.ts';
import { checkSupported, instantiateComponent } from './link/instantiate.ts';
import { parseComponent } from './parse/index.ts';
import { processedBy } from './producers.ts';

/** The host functions that return promises: under JSPI the guest suspends on them. */
const SUSPENDING_IMPORTS: ReadonlySet<string> = new Set(SUSPENDING);

export const skiffBinder: Binder = async (bytes, { cacheDir, compile }) => {
  const resolved = parseComponent(bytes);
  checkSupported(resolved.component);
  const modules = new Map<Uint8Array, WebAssembly.Module>();
  for (const module of coreModulesOf(resolved.component))
    modules.set(module, await compile(await preparedCoreModule(module, cacheDir)));
  return {
    exports: resolved.world.exports.map((e) => e.name),
    imports: resolved.world.imports.map((i) => i.name),
    processedBy: processedBy(resolved.component.customSections),
    async instantiate(hostImports, core) {
      const linked = instantiateComponent(resolved, {
        hostImports,
        coreModule: (module) => modules.get(module) as WebAssembly.Module,
        instantiateCore: (module, imports) => core.instantiate(module, imports),
        suspendingImports: SUSPENDING_IMPORTS,
      });
      return {
        exports: linked.exports,
        whenIdle: () => linked.state.whenIdle(),
        snapshot: () => {
          const handles = linked.state.snapshot();
          return () => {
            // An async call still running, or one that trapped after returning, leaves state no
            // snapshot describes: such an instance is not reused.
            const state = linked.state;
            if (state.tasksInFlight > 0 || state.poisoned !== undefined || !state.mayEnter) return false;
            state.restore(handles);
            return true;
          };
        },
      };
    },
  };
};
