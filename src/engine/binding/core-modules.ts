/**
 * The core modules of a component, prepared (bounded tables, exported state, interrupt checks)
 * once per distinct module and kept on disk by content hash, so a restart only compiles. Keyed by
 * the module's own bytes: two components sharing a module (an adapter, a runtime) share the entry.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareCoreModule } from '../core-module.ts';
import type { Component as ComponentAst } from './parse/index.ts';

/** Bump when prepareCoreModule changes what it writes. */
const FORMAT = 'skiff-core-4';

/** Every core module definition of the component and of the components nested in it. */
export function coreModulesOf(ast: ComponentAst): Uint8Array[] {
  const modules: Uint8Array[] = [];
  for (const definition of ast.definitions) {
    if (definition.kind === 'core module') modules.push(definition.bytes);
    else if (definition.kind === 'component') modules.push(...coreModulesOf(definition.component));
  }
  return modules;
}

/** The prepared bytes of `module`, from the cache or made and stored now. */
export async function preparedCoreModule(module: Uint8Array, cacheDir: string): Promise<Uint8Array> {
  const hash = createHash('sha256').update(FORMAT).update(module).digest('hex');
  const dir = join(cacheDir, 'core-modules');
  const path = join(dir, `${hash}.wasm`);
  try {
    return await readFile(path);
  } catch {
    const prepared = prepareCoreModule(module);
    await mkdir(dir, { recursive: true });
    // Write aside and rename, so a concurrent process never reads half a module.
    const staging = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      await writeFile(staging, prepared);
      await rename(staging, path);
    } catch (e) {
      await rm(staging, { force: true });
      throw e;
    }
    return prepared;
  }
}
