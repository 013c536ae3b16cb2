/**
 * WASI preview1 core modules become components by linking them with the preview1 adapter
 * (wasmtime's wasi_snapshot_preview1 adapter, shipped inside @bytecodealliance/jco).
 * One implementation of WASI 0.2 then serves both preview1 and preview2 guests.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Preview1Kind = 'command' | 'reactor';

const adapterCache = new Map<Preview1Kind, Promise<Uint8Array>>();

function loadAdapter(kind: Preview1Kind): Promise<Uint8Array> {
  let adapter = adapterCache.get(kind);
  if (!adapter) {
    // jco's package exports hide lib/, so locate it from the resolved entry point (dist/api.js).
    const jcoDir = dirname(dirname(fileURLToPath(import.meta.resolve('@bytecodealliance/jco'))));
    adapter = readFile(join(jcoDir, 'lib', `wasi_snapshot_preview1.${kind}.wasm`));
    adapterCache.set(kind, adapter);
  }
  return adapter;
}

/** Wraps a preview1 core module into a WASI 0.2 component (`command` exports wasi:cli/run). */
export async function adaptPreview1(coreModule: Uint8Array, kind: Preview1Kind): Promise<Uint8Array> {
  const adapter = await loadAdapter(kind);
  // Loaded only for preview1 modules: wasm-tools takes a good part of a start-up to load.
  const { componentNew } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  return componentNew(coreModule, [['wasi_snapshot_preview1', adapter]]);
}
