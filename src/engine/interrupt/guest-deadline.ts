/** The deadline of one component instance: its flag memory and its slot in the thread's table. */
import type { DeadlineSlot, InterruptController } from './controller.ts';

export class GuestDeadline {
  readonly #controller: InterruptController;
  readonly #held: DeadlineSlot;
  readonly #slot: number;
  readonly #slots: readonly number[];
  #ticket = 0;
  /** Deadlines of the calls in flight (performance.now() ms), by token. */
  readonly #active = new Map<number, number>();
  #lastToken = 0;
  #armedAt: number | undefined;
  #released = false;
  /** A call abandoned at its deadline whose guest has not unwound yet. */
  #abandoned: Promise<unknown> | undefined;

  constructor(controller: InterruptController) {
    this.#controller = controller;
    this.#held = controller.allocate();
    this.#slot = this.#held.slot;
    this.#slots = [this.#slot];
  }

  /** Imported by every core module of the instance as `skiff:interrupt` / `flags`. */
  get flagMemory(): WebAssembly.Memory {
    return this.#held.flagMemory;
  }

  get controller(): InterruptController {
    return this.#controller;
  }

  /** The instance's slot in the thread's table, as the watchdog knows it. */
  get slots(): readonly number[] {
    return this.#slots;
  }

  /**
   * Starts a deadline for the call about to be made: past it, the guest traps at its next check.
   * A WASI 0.3 instance runs several calls at once; the earliest deadline of those in flight is
   * the one armed, so no call outlives its own. Returns the token `disarm` takes.
   */
  arm(ms: number): number {
    const token = ++this.#lastToken;
    this.#active.set(token, performance.now() + ms);
    this.#armEarliest();
    return token;
  }

  /** The call holding `token` is over (without a token: every call is). */
  disarm(token?: number): void {
    if (token === undefined) this.#active.clear();
    else this.#active.delete(token);
    if (this.#active.size > 0) {
      this.#armEarliest();
      return;
    }
    this.#armedAt = undefined;
    this.#controller.disarm(this.#slot);
  }

  #armEarliest(): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const at of this.#active.values()) earliest = Math.min(earliest, at);
    if (earliest === this.#armedAt) return;
    this.#armedAt = earliest;
    this.#ticket = this.#controller.arm(this.#slot, Math.max(0, earliest - performance.now()));
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

/** What `withDeadline` needs of a deadline: one instance's, or a group's. */
export type Deadline = Pick<
  GuestDeadline,
  'arm' | 'disarm' | 'interrupt' | 'expired' | 'abandon' | 'controller' | 'slots'
>;

/**
 * The deadline of instances that serve one request together (HTTP middleware and the handler
 * behind it): each is armed and tripped with the others, so none of them outlives the request.
 */
export class DeadlineGroup implements Deadline {
  readonly #members: readonly Deadline[];
  readonly #tokens = new Map<number, number[]>();
  #lastToken = 0;
  readonly controller: InterruptController;
  readonly slots: readonly number[];

  constructor(members: readonly Deadline[]) {
    const [first] = members;
    if (!first) throw new Error('a deadline group needs a member');
    this.#members = members;
    this.controller = first.controller;
    this.slots = members.flatMap((m) => m.slots);
  }

  arm(ms: number): number {
    const token = ++this.#lastToken;
    this.#tokens.set(
      token,
      this.#members.map((m) => m.arm(ms)),
    );
    return token;
  }

  disarm(token?: number): void {
    const tokens = token === undefined ? undefined : this.#tokens.get(token);
    if (token !== undefined) this.#tokens.delete(token);
    this.#members.forEach((m, i) => {
      m.disarm(tokens?.[i]);
    });
  }

  interrupt(): void {
    for (const m of this.#members) m.interrupt();
  }

  get expired(): boolean {
    return this.#members.some((m) => m.expired);
  }

  abandon(call: Promise<unknown>): void {
    for (const m of this.#members) m.abandon(call);
  }
}
