/**
 * jco's generated glue as a binder (`--binder jco`): the reference Skiff's binder is tested
 * against, and an explicit fallback. Transpiled once per component and cached on disk.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Binder, GuestExports } from './binder.ts';
import { parseComponent } from './parse/index.ts';

type Glue = {
  instantiate(
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, object>,
    instantiateCore: (
      module: WebAssembly.Module,
      imports: WebAssembly.Imports,
    ) => Promise<WebAssembly.Instance>,
  ): Promise<GuestExports>;
};

export const jcoBinder: Binder = async (bytes, { cacheDir, compile }) => {
  // Loaded only when asked for: jco's transpiler takes a good part of a start-up to load.
  const { transpileCached } = await import('../transpile-cache.ts');
  const transpiled = await transpileCached(bytes, cacheDir);
  const modules = new Map<string, WebAssembly.Module>();
  for (const [name, path] of transpiled.coreModules) modules.set(name, await compile(await readFile(path)));
  const glue = (await import(pathToFileURL(transpiled.gluePath).href)) as Glue;
  const getCoreModule = (name: string) => {
    const module = modules.get(name);
    if (!module) throw new Error(`transpiled glue asked for unknown core module ${name}`);
    return module;
  };
  return {
    exports: transpiled.exports,
    // jco lists imports without their versions; the capabilities check needs them (WASI 0.2 or 0.3).
    imports: parseComponent(bytes).world.imports.map((item) => item.name),
    processedBy: transpiled.processedBy,
    async instantiate(hostImports, core) {
      const exports = await glue.instantiate(getCoreModule, hostImports, async (module, imports) =>
        core.instantiate(module, imports),
      );
      return { exports };
    },
  };
};
