/**
 * The deadline of one component instance: its slot in the thread's flag memory, and the ticket
 * globals of each of its core instances (all of them check the same slot).
 */
import type { InterruptController } from './controller.ts';
import { NO_TICKET, SLOT_EXPORT, TICKET_EXPORT } from './instrument.ts';

export class GuestDeadline {
  readonly #controller: InterruptController;
  readonly #slot: number;
  readonly #ticketGlobals: WebAssembly.Global[] = [];
  #ticket = NO_TICKET;
  /** A call abandoned at its deadline whose guest has not unwound yet. */
  #abandoned: Promise<unknown> | undefined;

  constructor(controller: InterruptController, slot: number, instances: WebAssembly.Instance[]) {
    this.#controller = controller;
    this.#slot = slot;
    for (const instance of instances) {
      const slotGlobal = instance.exports[SLOT_EXPORT];
      const ticketGlobal = instance.exports[TICKET_EXPORT];
      if (slotGlobal instanceof WebAssembly.Global) slotGlobal.value = slot * 4; // byte offset of an Int32
      if (ticketGlobal instanceof WebAssembly.Global) this.#ticketGlobals.push(ticketGlobal);
    }
  }

  /** Starts a deadline for the call about to be made: past it, the guest traps at its next check. */
  arm(ms: number): void {
    this.#ticket = this.#controller.arm(this.#slot, ms);
    for (const global of this.#ticketGlobals) global.value = this.#ticket;
  }

  disarm(): void {
    this.#controller.disarm(this.#slot);
  }

  /** Stops the guest now; one suspended on I/O traps as soon as it runs again. */
  interrupt(): void {
    if (this.#ticket !== NO_TICKET) this.#controller.trip(this.#slot, this.#ticket);
  }

  /** Whether the current deadline has passed (and the guest was, or will be, stopped). */
  get expired(): boolean {
    return this.#ticket !== NO_TICKET && this.#controller.tripped(this.#slot, this.#ticket);
  }

  /** The caller gave up on `call` (tripped, suspended on I/O): it still has to unwind. */
  abandon(call: Promise<unknown>): void {
    this.#abandoned = call.catch(() => {});
  }

  /**
   * The instance is gone: its slot can serve another — but only once an abandoned call has
   * unwound, since a new holder clears the flag, and the old guest must stay tripped until then.
   */
  release(): void {
    const free = () => this.#controller.release(this.#slot);
    if (this.#abandoned) this.#abandoned.then(free);
    else free();
  }
}
