/**
 * Deadlines for guests on this thread. Each live component instance has a flag word (the first
 * Int32 of its own shared flag memory, which every core module of the instance imports) and a
 * slot in this thread's deadline table:
 *
 *   flag word   0 before the first request, then the ticket of the armed request (a multiple
 *               of 256), and TRIPPED (-1) once stopped. The guest's checks read its low byte:
 *               0 runs on, 0xff (tripped) traps, 1 (a checkpoint requested: yield, or see
 *               whether the CPU budget is spent) calls the host (time-slice.ts)
 *   tickets     Int32Array per slot: the ticket armed in the slot
 *   deadlines   Float64Array per slot: ms since the epoch, 0 when disarmed
 *   control     Int32Array: [armed count, stop, slots in use, tick, quantum in µs (0: no slicing)]
 *   run         Int32Array: [sequence, slot count, slots…]: the guest run in progress, if any
 *   runTimes    Float64Array: [started (ms since the epoch), when its CPU budget runs out]
 *
 * Tripping is a compare-and-swap from the ticket the deadline belongs to (with or without a
 * checkpoint request in its low byte), so a late write for a request that already ended never
 * stops the next one. The watchdog thread trips guests that keep this thread busy past their
 * deadline and asks the running one for a checkpoint once it has run a quantum or spent its CPU
 * budget; this thread trips one it finds past its deadline while it waits on I/O.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

const SLOTS = 16_384;
const TICK_MS = 10;
const ARMED = 0;
const STOP = 1;
const SLOTS_IN_USE = 2;
const TICK = 3;
const QUANTUM_US = 4;
/** The run record: a sequence number (changes with every run), the slot count, the slots. */
const RUN_SEQUENCE = 0;
const RUN_SLOTS = 1;
const MAX_RUN_SLOTS = 8;
/**
 * How long a guest runs before it yields to the requests waiting behind it. Shorter costs more
 * yields; longer adds to every neighbour's wait: see BENCHMARKS.md, "Time slicing".
 */
export const DEFAULT_QUANTUM_MS = 2;
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
  readonly #control = new Int32Array(new SharedArrayBuffer(5 * 4));
  readonly #run = new Int32Array(new SharedArrayBuffer((2 + MAX_RUN_SLOTS) * 4));
  readonly #runTimes = new Float64Array(new SharedArrayBuffer(2 * 8));
  #runSequence = 0;
  readonly #free: DeadlineSlot[] = [];
  readonly #flags: Array<Int32Array | undefined> = [];
  readonly #channel = new MessageChannel();
  #nextTicket = TICKET_STEP;
  #watchdog: Worker | undefined;
  #watchdogReady: Promise<void> | undefined;

  constructor() {
    this.setQuantum(DEFAULT_QUANTUM_MS);
  }

  /** The time slice of a guest before it yields; 0 turns slicing off (CPU budgets still hold). */
  setQuantum(ms: number): void {
    Atomics.store(this.#control, QUANTUM_US, Math.round(ms * 1000));
  }

  get quantumMs(): number {
    return Atomics.load(this.#control, QUANTUM_US) / 1000;
  }

  /**
   * Tells the watchdog which instances (slots) run now, since when (performance.now()), and how
   * much CPU their account may still use; no slots: none runs.
   */
  publishRun(slots: readonly number[], since: number, budgetMs: number): void {
    const run = this.#run;
    const count = Math.min(slots.length, MAX_RUN_SLOTS);
    for (let i = 0; i < count; i++) run[2 + i] = slots[i] as number;
    run[RUN_SLOTS] = count;
    if (count > 0) {
      const started = performance.timeOrigin + since;
      this.#runTimes[0] = started;
      this.#runTimes[1] = started + budgetMs;
    }
    // Written last: the watchdog reads it on both sides of the rest.
    Atomics.store(run, RUN_SEQUENCE, ++this.#runSequence);
  }

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
    if (flag) tripFlag(flag, ticket);
  }

  tripped(slot: number): boolean {
    const flag = this.#flags[slot];
    return flag !== undefined && Atomics.load(flag, 0) === TRIPPED;
  }

  #tell(message: WatchdogMessage): void {
    if (this.#watchdog) this.#channel.port1.postMessage(message);
  }

  /**
   * Starts the watchdog thread now, resolving once it watches. It starts by itself with the first
   * deadline, but a new thread takes ~100 ms to load, and until then no guest is asked to yield:
   * a server starts it before it serves.
   */
  startWatchdog(): Promise<void> {
    this.#ensureWatchdog();
    return this.#watchdogReady as Promise<void>;
  }

  #ensureWatchdog(): void {
    if (this.#watchdog) return;
    Atomics.store(this.#control, STOP, 0);
    const flags = this.#flags.flatMap((flag, slot) => (flag ? [{ slot, flag }] : []));
    // Beside this file: `.ts` when run from src/, `.js` in the built package (dist/).
    const thread = import.meta.url.endsWith('.ts') ? './watchdog-thread.ts' : './watchdog-thread.js';
    this.#watchdog = new Worker(new URL(thread, import.meta.url), {
      workerData: {
        control: this.#control,
        deadlines: this.#deadlines,
        tickets: this.#tickets,
        run: this.#run,
        runTimes: this.#runTimes,
        flags,
        port: this.#channel.port2,
        tickMs: TICK_MS,
      },
      transferList: [this.#channel.port2],
    });
    const watchdog = this.#watchdog;
    this.#watchdogReady = new Promise((resolve, reject) => {
      watchdog.once('message', () => {
        // The watchdog never keeps the process alive once it watches; it dies with it.
        watchdog.unref();
        resolve();
      });
      watchdog.once('error', reject);
    });
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

/**
 * Sets the flag word from `ticket` (with or without a checkpoint request in its low byte) to
 * TRIPPED; a word holding another ticket is another request's and stays as it is.
 */
export function tripFlag(flag: Int32Array, ticket: number): void {
  for (;;) {
    const word = Atomics.load(flag, 0);
    if ((word & ~0xff) !== ticket) return;
    if (Atomics.compareExchange(flag, 0, word, TRIPPED) === word) return;
  }
}

let forThisThread: InterruptController | undefined;

/** The controller of the current thread. */
export function interruptController(): InterruptController {
  forThisThread ??= new InterruptController();
  return forThisThread;
}
