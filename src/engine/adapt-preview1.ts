/**
 * WASI preview1 core modules become components by linking them with the preview1 adapter
 * (wasmtime's wasi_snapshot_preview1 adapter, shipped inside @bytecodealliance/jco).
 * One implementation of WASI 0.2 then serves both preview1 and preview2 guests.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

export type Preview1Kind = 'command' | 'reactor';

const adapterCache = new Map<Preview1Kind, Promise<Uint8Array>>();

function loadAdapter(kind: Preview1Kind): Promise<Uint8Array> {
  let adapter = adapterCache.get(kind);
  if (!adapter) {
    const require = createRequire(import.meta.url);
    const jcoDir = dirname(require.resolve('@bytecodealliance/jco/package.json'));
    adapter = readFile(join(jcoDir, 'lib', `wasi_snapshot_preview1.${kind}.wasm`));
    adapterCache.set(kind, adapter);
  }
  return adapter;
}

/** Wraps a preview1 core module into a WASI 0.2 component (`command` exports wasi:cli/run). */
export async function adaptPreview1(coreModule: Uint8Array, kind: Preview1Kind): Promise<Uint8Array> {
  const adapter = await loadAdapter(kind);
  return componentNew(coreModule, [['wasi_snapshot_preview1', adapter]]);
}
