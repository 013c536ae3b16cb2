/** The deadline of one component instance: its flag memory and its slot in the thread's table. */
import type { DeadlineSlot, InterruptController } from './controller.ts';

export class GuestDeadline {
  readonly #controller: InterruptController;
  readonly #held: DeadlineSlot;
  readonly #slot: number;
  #ticket = 0;
  #released = false;
  /** A call abandoned at its deadline whose guest has not unwound yet. */
  #abandoned: Promise<unknown> | undefined;

  constructor(controller: InterruptController) {
    this.#controller = controller;
    this.#held = controller.allocate();
    this.#slot = this.#held.slot;
  }

  /** Imported by every core module of the instance as `skiff:interrupt` / `flags`. */
  get flagMemory(): WebAssembly.Memory {
    return this.#held.flagMemory;
  }

  /** Starts a deadline for the call about to be made: past it, the guest traps at its next check. */
  arm(ms: number): void {
    this.#ticket = this.#controller.arm(this.#slot, ms);
  }

  disarm(): void {
    this.#controller.disarm(this.#slot);
  }

  /** Stops the guest now; one suspended on I/O traps as soon as it runs again. */
  interrupt(): void {
    if (this.#ticket !== 0) this.#controller.trip(this.#slot, this.#ticket);
  }

  /** Whether the guest was stopped (or will be, at its next check). */
  get expired(): boolean {
    return this.#controller.tripped(this.#slot);
  }

  /** The caller gave up on `call` (tripped, suspended on I/O): it still has to unwind. */
  abandon(call: Promise<unknown>): void {
    this.#abandoned = call.catch(() => {});
  }

  /**
   * The instance is gone: its slot can serve another — once an abandoned call has unwound, so the
   * slot's bookkeeping never describes two instances at once.
   */
  release(): void {
    // Twice would hand the slot to two instances.
    if (this.#released) return;
    this.#released = true;
    const free = () => this.#controller.release(this.#held);
    if (this.#abandoned) this.#abandoned.then(free);
    else free();
  }
}
