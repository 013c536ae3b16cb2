/**
 * The run-time state the generated lift/lower code reads: per component instance
 * (`ComponentInstanceState`: handle table, `may_enter`/`may_leave`) and per `canon lift`/`canon
 * lower` definition (`LiftLowerContext`: the canonopts, bound to that instance's memory and
 * functions). Contexts are created before the core instances exist and filled in afterwards
 * (`memory.attach`, `realloc`, `postReturn`): a lowered import must exist before the core module
 * that calls it is instantiated, yet it needs that module's memory and `realloc`.
 */
import type { GuestMemory } from './guest-memory.ts';
import { BorrowScope, HandleTable, type HandleTableSnapshot } from './handle-table.ts';
import type { Task } from './tasks.ts';

export type StringEncoding = 'utf8' | 'utf16' | 'latin1+utf16';

/** `realloc(old_ptr, old_size, align, new_size) → new_ptr`, as exported by the guest. */
export type Realloc = (oldPtr: number, oldSize: number, align: number, newSize: number) => number;

/** A core function, as exported by a wasm instance or given to one as an import. */
// biome-ignore lint/suspicious/noExplicitAny: core wasm functions take and return numbers and bigints
export type CoreFunction = (...args: any[]) => any;

export interface InstanceStateSnapshot {
  readonly handles: HandleTableSnapshot;
  readonly mayEnter: boolean;
  readonly mayLeave: boolean;
}

/** The spec's `ComponentInstance`, as far as the canonical ABI needs it. */
export class ComponentInstanceState {
  readonly handles = new HandleTable();
  /** Cleared while an export call runs: a second entry (reentrance) traps. Stays cleared after a trap. */
  mayEnter = true;
  /** Cleared while `realloc` and `post-return` run: they may not call imports. */
  mayLeave = true;
  /** The borrow scope of the synchronous export call in progress (there is at most one). */
  readonly syncTask = new BorrowScope();
  /** The async export call whose guest code is running (WASI 0.3), for the async built-ins. */
  currentTask: Task | undefined;
  /** `context.get/set` storage outside an async call. */
  readonly syncContext = [0, 0];
  /** `backpressure.inc/dec` (WASI 0.3): while non-zero, new async calls wait before they start. */
  get backpressure(): number {
    return this.#backpressure;
  }
  set backpressure(value: number) {
    this.#backpressure = value;
    if (value === 0) for (const start of this.#waitingToStart.splice(0)) start();
  }
  #backpressure = 0;
  readonly #waitingToStart: Array<() => void> = [];

  /** Resolves once the guest's backpressure is off (`Task.enter_implicit_thread`). */
  async whenAcceptingCalls(): Promise<void> {
    while (this.#backpressure > 0) await new Promise<void>((start) => this.#waitingToStart.push(start));
  }
  /** The first trap of an async call: every other call of the instance fails with it. */
  poisoned: unknown;
  /** Guest code of an async call is running (settles when it returns): the others wait for it. */
  running: Promise<void> | undefined;
  /** Async export calls started and not yet at EXIT. */
  readonly tasks = new Set<Task>();

  get tasksInFlight(): number {
    return this.tasks.size;
  }

  /** Resolves once every async call has reached EXIT (or the instance was poisoned). */
  async whenIdle(): Promise<void> {
    while (this.tasks.size > 0 && this.poisoned === undefined)
      await Promise.race([...this.tasks].map((t) => t.done));
  }

  snapshot(): InstanceStateSnapshot {
    return { handles: this.handles.snapshot(), mayEnter: this.mayEnter, mayLeave: this.mayLeave };
  }

  restore(s: InstanceStateSnapshot): void {
    this.handles.restore(s.handles);
    this.mayEnter = s.mayEnter;
    this.mayLeave = s.mayLeave;
    this.syncTask.numBorrows = 0;
    this.currentTask = undefined;
    this.syncContext.fill(0);
    this.backpressure = 0;
  }
}

/** The spec's `LiftLowerContext`: the canonopts of one `canon lift` or `canon lower`, bound to an instance. */
export class LiftLowerContext {
  readonly instance: ComponentInstanceState;
  readonly stringEncoding: StringEncoding;
  /** The `memory` canonopt; required when the function passes strings, lists or spills. */
  readonly memory: GuestMemory | undefined;
  /** The `realloc` canonopt; set once the core instance that exports it exists. */
  realloc: Realloc | undefined;
  /** The `post-return` canonopt of a `canon lift`. */
  postReturn: CoreFunction | undefined;
  /** The `callback` canonopt of an async `canon lift`, entered through JSPI. */
  callback: CoreFunction | undefined;

  constructor(
    instance: ComponentInstanceState,
    options: {
      stringEncoding?: StringEncoding;
      memory?: GuestMemory | undefined;
      realloc?: Realloc | undefined;
      postReturn?: CoreFunction | undefined;
      callback?: CoreFunction | undefined;
    } = {},
  ) {
    this.instance = instance;
    this.stringEncoding = options.stringEncoding ?? 'utf8';
    this.memory = options.memory;
    this.realloc = options.realloc;
    this.postReturn = options.postReturn;
    this.callback = options.callback;
  }
}
