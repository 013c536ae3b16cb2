/**
 * Component → core modules + JS glue (jco), done once per distinct component and kept on disk,
 * keyed by the bytes' hash, so a restart skips the work. Blocking WASI calls and the entry points
 * are generated as JSPI-async, so a guest waiting on I/O suspends instead of blocking the thread.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { metadataShow } from '@bytecodealliance/jco-transpile/wasm-tools';
import { defaultCacheDir, prepareCoreModule, SUSPENDING_IMPORTS } from './core-module.ts';

/** Bump when the options below change, so old cache entries are not reused. */
const CACHE_FORMAT = 'skiff-transpile-9';

export const ASYNC_EXPORTS = ['wasi:http/incoming-handler#handle', 'wasi:cli/run#run'];

export interface TranspiledComponent {
  /** Absolute path of the generated ES module with `instantiate(getCoreModule, imports)`. */
  gluePath: string;
  /** Core module file name → absolute path. */
  coreModules: Map<string, string>;
  /** Versioned export names, e.g. `wasi:http/incoming-handler@0.2.10`. */
  exports: string[];
  imports: string[];
  /** The component's `processed-by` producers, e.g. `ComponentizeJS 0.23.0`. */
  processedBy: string[];
}

interface Meta {
  exports: string[];
  imports: string[];
  coreModules: string[];
  processedBy: string[];
}

export async function transpileCached(
  bytes: Uint8Array,
  cacheDir = defaultCacheDir(),
): Promise<TranspiledComponent> {
  // The glue awaits exactly the imports listed, so a change to the list is a different glue.
  const hash = createHash('sha256')
    .update(CACHE_FORMAT)
    .update(JSON.stringify(SUSPENDING_IMPORTS))
    .update(bytes)
    .digest('hex');
  const dir = join(cacheDir, 'components', hash);
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) await transpileInto(bytes, dir);
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as Meta;
  return {
    gluePath: join(dir, 'component.js'),
    coreModules: new Map(meta.coreModules.map((name) => [name, join(dir, name)])),
    exports: meta.exports,
    imports: meta.imports,
    processedBy: meta.processedBy,
  };
}

async function transpileInto(bytes: Uint8Array, dir: string): Promise<void> {
  const result = await transpileBytes(bytes, {
    name: 'component',
    instantiation: 'async',
    asyncMode: 'jspi',
    asyncImports: SUSPENDING_IMPORTS,
    asyncExports: ASYNC_EXPORTS,
    emitTypescriptDeclarations: false,
    base64Cutoff: 0,
  });
  // Write to a private folder and rename, so a concurrent process never sees half an entry.
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const coreModules: string[] = [];
  for (const [name, content] of Object.entries(result.files)) {
    if (name.endsWith('.d.ts')) continue;
    const target = join(staging, name);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, name.endsWith('.wasm') ? prepareCoreModule(content) : content);
    if (name.endsWith('.wasm')) coreModules.push(name);
  }
  const exports = result.exports.map(([name]) => name).filter((name) => name.includes(':'));
  const [top] = await metadataShow(bytes);
  const processedBy = (top?.producers ?? [])
    .filter(([field]) => field === 'processed-by')
    .flatMap(([, tools]) => tools.map(([name, version]) => `${name} ${version}`.trim()));
  const meta: Meta = { exports, imports: result.imports, coreModules, processedBy };
  await writeFile(join(staging, 'meta.json'), JSON.stringify(meta));
  await mkdir(dirname(dir), { recursive: true });
  try {
    await rename(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'meta.json'))) throw e;
  }
}
