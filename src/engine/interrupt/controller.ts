/**
 * Deadlines for guests on this thread. Each live instance holds a slot; arming the slot for a
 * request gives it a new ticket and a deadline. When the deadline passes, the watchdog thread (or
 * this thread, if it is free to notice first) writes the ticket into the slot of the flag memory
 * that every interruptible module imports, and the guest traps at its next loop header or call.
 * A stale write (an old ticket) never matches the instance's current ticket, so it stops nothing.
 *
 * Shared layout (all SharedArrayBuffers, one set per thread):
 *   flags     Int32Array over the flag memory (1 page): the ticket to stop, per slot
 *   tickets   Int32Array: the ticket armed in each slot
 *   deadlines Float64Array: ms since the epoch, 0 when disarmed
 *   control   Int32Array: [armed count, stop, slots in use, tick]
 */
import { Worker } from 'node:worker_threads';

const SLOTS = 16_384; // one page of Int32 flags
const TICK_MS = 10;
const ARMED = 0;
const STOP = 1;
const SLOTS_IN_USE = 2;
const TICK = 3;

export class TooManyInstancesError extends Error {
  override name = 'TooManyInstancesError';
}

export class InterruptController {
  readonly flagMemory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  readonly #flags = new Int32Array(this.flagMemory.buffer);
  readonly #tickets = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  readonly #deadlines = new Float64Array(new SharedArrayBuffer(SLOTS * 8));
  readonly #control = new Int32Array(new SharedArrayBuffer(4 * 4));
  readonly #free: number[] = [];
  #nextTicket = 1;
  #watchdog: Worker | undefined;

  /** A slot for a new instance; its flag is clear. */
  allocate(): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = Atomics.load(this.#control, SLOTS_IN_USE);
      if (slot >= SLOTS) {
        throw new TooManyInstancesError(
          `more than ${SLOTS} live instances on one thread; lower --max-concurrent or the pre-warmed pools`,
        );
      }
      Atomics.store(this.#control, SLOTS_IN_USE, slot + 1);
    }
    Atomics.store(this.#tickets, slot, 0);
    Atomics.store(this.#flags, slot, 0);
    return slot;
  }

  /** Instances alive on this thread (each holds a slot until it is disposed and has unwound). */
  get liveInstances(): number {
    return Atomics.load(this.#control, SLOTS_IN_USE) - this.#free.length;
  }

  release(slot: number): void {
    this.disarm(slot);
    this.#free.push(slot);
  }

  /** Starts a deadline `ms` from now; returns the ticket the guest must carry. */
  arm(slot: number, ms: number): number {
    const ticket = this.#nextTicket;
    this.#nextTicket = ticket >= 0x7fff_ffff ? 1 : ticket + 1;
    this.#ensureWatchdog();
    const wasArmed = this.#deadlines[slot] !== 0;
    // Deadline before ticket: the watchdog reads the ticket on both sides of the deadline.
    this.#deadlines[slot] = performance.timeOrigin + performance.now() + ms;
    Atomics.store(this.#tickets, slot, ticket);
    if (!wasArmed && Atomics.add(this.#control, ARMED, 1) === 0) Atomics.notify(this.#control, ARMED);
    return ticket;
  }

  disarm(slot: number): void {
    if (this.#deadlines[slot] === 0) return;
    this.#deadlines[slot] = 0;
    Atomics.sub(this.#control, ARMED, 1);
  }

  /** Stops the guest holding `ticket` at its next check, whatever its deadline. */
  trip(slot: number, ticket: number): void {
    Atomics.store(this.#flags, slot, ticket);
  }

  tripped(slot: number, ticket: number): boolean {
    return Atomics.load(this.#flags, slot) === ticket;
  }

  #ensureWatchdog(): void {
    if (this.#watchdog) return;
    Atomics.store(this.#control, STOP, 0);
    this.#watchdog = new Worker(new URL('./watchdog-thread.ts', import.meta.url), {
      workerData: {
        control: this.#control,
        deadlines: this.#deadlines,
        tickets: this.#tickets,
        flags: this.#flags,
        tickMs: TICK_MS,
      },
    });
    // The watchdog never keeps the process alive; it dies with it.
    this.#watchdog.unref();
  }

  /** Stops the watchdog thread (tests; a process that exits needs nothing). */
  async close(): Promise<void> {
    const watchdog = this.#watchdog;
    if (!watchdog) return;
    this.#watchdog = undefined;
    Atomics.store(this.#control, STOP, 1);
    Atomics.notify(this.#control, ARMED);
    Atomics.notify(this.#control, TICK);
    await watchdog.terminate();
  }
}

let forThisThread: InterruptController | undefined;

/** The controller of the current thread (its flag memory is what every module here imports). */
export function interruptController(): InterruptController {
  forThisThread ??= new InterruptController();
  return forThisThread;
}
