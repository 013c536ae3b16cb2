/**
 * Deadlines for guests on this thread. Each live component instance has a flag word (the first
 * Int32 of its own shared flag memory, which every core module of the instance imports) and a
 * slot in this thread's deadline table:
 *
 *   flag word   0 before the first request, then the ticket of the armed request (a multiple
 *               of 256), and TRIPPED (-1) once stopped: the guest's checks read its low byte,
 *               non-zero only when tripped, and trap
 *   tickets     Int32Array per slot: the ticket armed in the slot
 *   deadlines   Float64Array per slot: ms since the epoch, 0 when disarmed
 *   control     Int32Array: [armed count, stop, slots in use, tick]
 *
 * Tripping is a compare-and-swap from the ticket the deadline belongs to, so a late write for a
 * request that already ended never stops the next one. The watchdog thread trips guests that keep
 * this thread busy; this thread trips one it finds past its deadline while it waits on I/O.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

const SLOTS = 16_384;
const TICK_MS = 10;
const ARMED = 0;
const STOP = 1;
const SLOTS_IN_USE = 2;
const TICK = 3;
/** Tickets are multiples of 256, so a live ticket's low byte is 0 and only TRIPPED's is not. */
const TICKET_STEP = 256;
const MAX_TICKET = 0x7fff_ff00;
export const TRIPPED = -1;

export class TooManyInstancesError extends Error {
  override name = 'TooManyInstancesError';
}

/** One shared page per component instance; word 0 is its flag. */
function newFlagMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
}

/**
 * A slot of the deadline table with its flag memory. Both outlive the instance that held them and
 * serve the next one: creating a shared memory and telling the watchdog about it cost more than
 * the rest of a small guest's instantiation.
 */
export interface DeadlineSlot {
  readonly slot: number;
  /** Imported by every core module of the instance as `skiff:interrupt` / `flags`. */
  readonly flagMemory: WebAssembly.Memory;
  readonly flag: Int32Array;
}

/** What the main thread tells the watchdog about slots (whose flag word to trip). */
export type WatchdogMessage = { slot: number; flag: Int32Array };

export class InterruptController {
  readonly #tickets = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  readonly #deadlines = new Float64Array(new SharedArrayBuffer(SLOTS * 8));
  readonly #control = new Int32Array(new SharedArrayBuffer(4 * 4));
  readonly #free: DeadlineSlot[] = [];
  readonly #flags: Array<Int32Array | undefined> = [];
  readonly #channel = new MessageChannel();
  #nextTicket = TICKET_STEP;
  #watchdog: Worker | undefined;

  /** A slot and flag memory for a new instance, its flag word 0 (not armed, not tripped). */
  allocate(): DeadlineSlot {
    const reused = this.#free.pop();
    if (reused) {
      // A late trip of the previous holder cannot land: its ticket is not 0.
      Atomics.store(reused.flag, 0, 0);
      return reused;
    }
    const slot = Atomics.load(this.#control, SLOTS_IN_USE);
    if (slot >= SLOTS) {
      throw new TooManyInstancesError(
        `more than ${SLOTS} live instances on one thread; lower --max-concurrent or the pre-warmed pools`,
      );
    }
    Atomics.store(this.#control, SLOTS_IN_USE, slot + 1);
    const flagMemory = newFlagMemory();
    const flag = new Int32Array(flagMemory.buffer, 0, 1);
    this.#flags[slot] = flag;
    this.#tell({ slot, flag });
    return { slot, flagMemory, flag };
  }

  /** Instances alive on this thread (each holds a slot until it is disposed and has unwound). */
  get liveInstances(): number {
    return Atomics.load(this.#control, SLOTS_IN_USE) - this.#free.length;
  }

  /** The instance holding `slot` is gone and will never run again; the next one gets the slot. */
  release(slot: DeadlineSlot): void {
    this.disarm(slot.slot);
    this.#free.push(slot);
  }

  /** Starts a deadline `ms` from now for the call about to be made; returns its ticket. */
  arm(slot: number, ms: number): number {
    const ticket = this.#nextTicket;
    this.#nextTicket = ticket >= MAX_TICKET ? TICKET_STEP : ticket + TICKET_STEP;
    this.#ensureWatchdog();
    const wasArmed = this.#deadlines[slot] !== 0;
    Atomics.store(this.#flags[slot] as Int32Array, 0, ticket);
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

  /** Stops the guest holding `ticket` at its next check (a no-op if that request is over). */
  trip(slot: number, ticket: number): void {
    const flag = this.#flags[slot];
    if (flag) Atomics.compareExchange(flag, 0, ticket, TRIPPED);
  }

  tripped(slot: number): boolean {
    const flag = this.#flags[slot];
    return flag !== undefined && Atomics.load(flag, 0) === TRIPPED;
  }

  #tell(message: WatchdogMessage): void {
    if (this.#watchdog) this.#channel.port1.postMessage(message);
  }

  #ensureWatchdog(): void {
    if (this.#watchdog) return;
    Atomics.store(this.#control, STOP, 0);
    const flags = this.#flags.flatMap((flag, slot) => (flag ? [{ slot, flag }] : []));
    this.#watchdog = new Worker(new URL('./watchdog-thread.ts', import.meta.url), {
      workerData: {
        control: this.#control,
        deadlines: this.#deadlines,
        tickets: this.#tickets,
        flags,
        port: this.#channel.port2,
        tickMs: TICK_MS,
      },
      transferList: [this.#channel.port2],
    });
    // The watchdog never keeps the process alive; it dies with it.
    this.#watchdog.unref();
    this.#channel.port1.unref();
  }

  /** Stops the watchdog thread (tests; a process that exits needs nothing). */
  async close(): Promise<void> {
    const watchdog = this.#watchdog;
    if (!watchdog) return;
    Atomics.store(this.#control, STOP, 1);
    Atomics.notify(this.#control, ARMED);
    Atomics.notify(this.#control, TICK);
    await watchdog.terminate();
  }
}

let forThisThread: InterruptController | undefined;

/** The controller of the current thread. */
export function interruptController(): InterruptController {
  forThisThread ??= new InterruptController();
  return forThisThread;
}
