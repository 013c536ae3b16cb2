/**
 * The compute kernels as Skiff runs a guest: made interruptible, with a deadline slot, host memories
 * and the yield table filled, each call made through JSPI under a deadline and a CPU account, so
 * the watchdog's requests to yield are honoured. Shared by bench/time-slice.ts and
 * test/engine/time-slice.test.ts.
 */
import { readFileSync } from 'node:fs';
import { jspi } from '../../src/engine/binding/jspi.ts';
import { interruptController } from '../../src/engine/interrupt/controller.ts';
import { GuestDeadline } from '../../src/engine/interrupt/guest-deadline.ts';
import {
  createHostMemory,
  FLAG_MEMORY,
  HOST_MEMORY,
  hostMemories,
  makeInterruptible,
  YIELD_TABLE,
} from '../../src/engine/interrupt/instrument.ts';
import { CpuAccount, installYield } from '../../src/engine/interrupt/time-slice.ts';
import { withDeadline } from '../../src/engine/interrupt/with-deadline.ts';

export type Kernel = (arg: number) => number;

export const KERNELS_WASM = new URL('./kernels.wasm', import.meta.url);

export interface SlicedGuest {
  exports: Record<string, Kernel>;
  deadline: GuestDeadline;
  /** Runs a kernel through JSPI under a 60 s deadline and `account`; its checksum, unsigned. */
  run(name: string, arg: number, account?: CpuAccount): Promise<number>;
}

export interface SlicedKernels {
  /** The kernels as built, called directly. */
  plain: Record<string, Kernel>;
  /** A new instance of the interruptible build. */
  guest(): SlicedGuest;
}

export async function slicedKernels(): Promise<SlicedKernels> {
  const bytes = new Uint8Array(readFileSync(KERNELS_WASM));
  const prepared = makeInterruptible(bytes);
  const module = await WebAssembly.compile(prepared as Uint8Array<ArrayBuffer>);
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>);
  const plain = instance.exports as Record<string, Kernel>;
  plain._initialize?.(0);
  const controller = interruptController();
  const guest = (): SlicedGuest => {
    const deadline = new GuestDeadline(controller);
    const memories: Record<string, WebAssembly.Memory> = {};
    for (const memory of hostMemories(prepared)) memories[memory.index] = createHostMemory(memory);
    const core = new WebAssembly.Instance(module, {
      [HOST_MEMORY]: memories,
      [FLAG_MEMORY.module]: { [FLAG_MEMORY.name]: deadline.flagMemory },
    });
    installYield(core.exports[YIELD_TABLE] as WebAssembly.Table);
    const exports = core.exports as Record<string, Kernel>;
    exports._initialize?.(0);
    return {
      exports,
      deadline,
      async run(name, arg, account = new CpuAccount(deadline)) {
        const kernel = jspi.promising(exports[name] as Kernel);
        const result = await withDeadline(deadline, 60_000, () => kernel(arg), account);
        return (result as number) >>> 0;
      },
    };
  };
  return { plain, guest };
}
