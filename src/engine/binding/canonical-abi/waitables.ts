/**
 * Waitables and waitable sets of the async ABI (`CanonicalABI.md` § Waitable State): a waitable
 * (a subtask now; stream and future ends later) holds at most one pending event, computed when it is
 * delivered; a waitable set gathers waitables so a guest can wait for any of them. Delivery happens
 * when the guest waits: by returning WAIT to its callback loop, or with `waitable-set.wait/poll`.
 */
import { trap } from './trap.ts';

export const EventCode = {
  NONE: 0,
  SUBTASK: 1,
  STREAM_READ: 2,
  STREAM_WRITE: 3,
  FUTURE_READ: 4,
  FUTURE_WRITE: 5,
  TASK_CANCELLED: 6,
} as const;

/** `(event code, p1, p2)`: what a guest's callback or `waitable-set.wait` receives. */
export type EventTuple = readonly [code: number, p1: number, p2: number];

export class Waitable {
  /** Computes the event at delivery, so it describes the state of the world then. */
  #pending: (() => EventTuple) | undefined;
  #set: WaitableSet | undefined;

  get hasPendingEvent(): boolean {
    return this.#pending !== undefined;
  }

  setPendingEvent(event: () => EventTuple): void {
    this.#pending = event;
    this.#set?.wake();
  }

  /** Delivers the pending event (the caller checked there is one). */
  takePendingEvent(): EventTuple {
    const event = this.#pending as () => EventTuple;
    this.#pending = undefined;
    return event();
  }

  get set(): WaitableSet | undefined {
    return this.#set;
  }

  /** `waitable.join`: moves this waitable into `set`, or out of any set with `undefined`. */
  join(set: WaitableSet | undefined): void {
    this.#set?.members.delete(this);
    this.#set = set;
    if (set) {
      set.members.add(this);
      if (this.#pending) set.wake();
    }
  }
}

export class WaitableSet {
  readonly members = new Set<Waitable>();
  /** Callback loops and `waitable-set.wait` calls waiting on this set. */
  numWaiting = 0;
  readonly #wakers: Array<() => void> = [];

  hasPendingEvent(): boolean {
    for (const w of this.members) if (w.hasPendingEvent) return true;
    return false;
  }

  /** The first member's pending event, or NONE. Delivery order is the embedder's choice. */
  poll(): EventTuple {
    for (const w of this.members) if (w.hasPendingEvent) return w.takePendingEvent();
    return [EventCode.NONE, 0, 0];
  }

  /** Resolves with the next event delivered from this set. */
  async nextEvent(): Promise<EventTuple> {
    this.numWaiting++;
    try {
      while (!this.hasPendingEvent()) await new Promise<void>((wake) => this.#wakers.push(wake));
      return this.poll();
    } finally {
      this.numWaiting--;
    }
  }

  /** A member got an event: whoever waits on the set looks again. */
  wake(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }

  /** `waitable-set.drop`'s guards: a set with members or waiters stays. */
  checkDroppable(index: number): void {
    if (this.members.size > 0)
      trap('waitable-set-in-use', `waitable set ${index} still has ${this.members.size} member(s)`);
    if (this.numWaiting > 0) trap('waitable-set-in-use', `waitable set ${index} is being waited on`);
  }
}
