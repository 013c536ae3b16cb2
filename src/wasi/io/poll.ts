/**
 * `wasi:io/poll`. A pollable is a readiness check plus a way to wait for it. `block` and `poll`
 * are async host functions: under JSPI the guest suspends while the event loop serves others.
 */
import type { WasiIoPoll } from '../shapes/io.ts';

export interface Readiness {
  isReady(): boolean;
  /** Resolves when isReady() may have become true (spurious wake-ups are allowed). */
  whenReady(): Promise<void>;
}

export class Pollable {
  readonly #readiness: Readiness;
  constructor(readiness: Readiness) {
    this.#readiness = readiness;
  }
  ready(): boolean {
    return this.#readiness.isReady();
  }
  async block(): Promise<void> {
    while (!this.#readiness.isReady()) await this.#readiness.whenReady();
  }
  /** @internal */
  whenReady(): Promise<void> {
    return this.#readiness.whenReady();
  }
}

export const ALWAYS_READY: Readiness = { isReady: () => true, whenReady: () => Promise.resolve() };

function readyIndexes(pollables: Pollable[]): Uint32Array {
  const ready: number[] = [];
  pollables.forEach((p, i) => {
    if (p.ready()) ready.push(i);
  });
  return Uint32Array.from(ready);
}

export async function poll(pollables: Pollable[]): Promise<Uint32Array> {
  if (pollables.length === 0) throw new Error('wasi:io/poll#poll called with an empty list');
  for (;;) {
    const ready = readyIndexes(pollables);
    if (ready.length > 0) return ready;
    await Promise.race(pollables.map((p) => p.whenReady()));
  }
}

export const pollImports = { Pollable, poll } satisfies WasiIoPoll;
