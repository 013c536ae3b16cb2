/**
 * One core module instantiated twice: as built, and as Skiff runs it, made interruptible by
 * src/engine/interrupt/instrument.ts. The instrumented instance gets what the host gives it: its
 * memories (which it no longer defines) and a flag memory that is never set, so the check it runs
 * at loop headers and calls never fires: what is left is its cost.
 */
import { readFileSync } from 'node:fs';
import { createHostMemory, hostMemories, makeInterruptible } from '../../src/engine/interrupt/instrument.ts';

export type Kernel = (arg: number) => number;

export interface KernelInstance {
  exports: Record<string, Kernel>;
  bytes: number;
}

export interface KernelInstances {
  plain: KernelInstance;
  instrumented: KernelInstance;
}

async function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports): Promise<KernelInstance> {
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, imports);
  const exports = instance.exports as Record<string, unknown>;
  // A WASI reactor runs its constructors in `_initialize` before anything else is called.
  if (typeof exports._initialize === 'function') exports._initialize();
  return { exports: exports as Record<string, Kernel>, bytes: bytes.length };
}

/** `imports` is what the module imports as built (nothing, for kernels.wasm). */
export async function loadKernels(file: string, imports: WebAssembly.Imports = {}): Promise<KernelInstances> {
  const plain = new Uint8Array(readFileSync(file));
  const interruptible = makeInterruptible(plain);
  const memories = Object.fromEntries(
    hostMemories(interruptible).map((memory) => [memory.index, createHostMemory(memory)]),
  );
  const flags = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  return {
    plain: await instantiate(plain, imports),
    instrumented: await instantiate(interruptible, {
      ...imports,
      'skiff:memory': memories,
      'skiff:interrupt': { flags },
    }),
  };
}
