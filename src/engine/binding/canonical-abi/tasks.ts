/**
 * Tasks and subtasks of the async ABI (`CanonicalABI.md` § Task State, § Subtask State, `canon lift`
 * async, `canon lower` async, `task.return`).
 *
 * - A `Task` is one call of an async-lifted export. Its value arrives through `task.return`, which may
 *   come long before the guest is done (it keeps running, e.g. to finish a body); `driveTask` runs the
 *   guest's callback loop until EXIT and settles the call's promise at `task.return`.
 * - A `Subtask` is one async-lowered call of a host function that did not finish at once. The host's
 *   promise settles whenever it likes; the result is lowered into the guest's memory only when the
 *   event is delivered (the guest is then waiting, so no guest code runs under it).
 * Guest code of one instance never runs twice at once: the callback loop enters the guest only from
 * its own turn, and `inst.currentTask` names the task whose code is running for the built-ins.
 */
import { type CpuAccount, currentAccount, runAs, settle } from '../../interrupt/time-slice.ts';
import type { ComponentInstanceState, CoreFunction, LiftLowerContext } from './context.ts';
import { BorrowScope, HandleKind } from './handle-table.ts';
import { ComponentError, trap } from './trap.ts';
import { EventCode, type EventTuple, Waitable, type WaitableSet } from './waitables.ts';

const CallbackCode = { EXIT: 0, YIELD: 1, WAIT: 2 } as const;

export const SubtaskState = {
  STARTING: 0,
  STARTED: 1,
  RETURNED: 2,
  CANCELLED_BEFORE_STARTED: 3,
  CANCELLED_BEFORE_RETURNED: 4,
} as const;

/** `subtask.cancel` and the stream/future operations that could not finish at once. */
export const BLOCKED = 0xffff_ffff;

/**
 * What a host promise rejects with once the guest cancelled the call (`subtask.cancel`) and the host
 * stopped before producing a value. A host function supports cancellation by returning a promise
 * with a `cancel()` method.
 */
export const CANCELLED = Symbol('cancelled by the guest');

export interface CancellablePromise<T> extends Promise<T> {
  cancel(): void;
}

export class Task {
  /** `context.get/set` storage (the implicit thread's). */
  readonly context = [0, 0];
  /** Borrowed handles lowered into the guest for this call. */
  readonly scope = new BorrowScope();
  /** The `canon lift`'s options: `task.return` must use the same. */
  readonly cx: LiftLowerContext;
  /** The export's result type, as `functionKey` spells it. */
  readonly resultKey: string;
  /** The export's result is a `result<T, E>`: `err` rejects the call with a ComponentError. */
  readonly resultIsResult: boolean;
  readonly name: string;
  /** Whose CPU the call's guest code uses: the host call that started it (time-slice.ts). */
  readonly account: CpuAccount | undefined = currentAccount();
  returned = false;
  readonly value: Promise<unknown>;
  /** Settles when the call has reached EXIT or failed (after its value, possibly long after). */
  done: Promise<void> = Promise.resolve();
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;

  constructor(cx: LiftLowerContext, resultKey: string, resultIsResult: boolean, name: string) {
    this.cx = cx;
    this.resultKey = resultKey;
    this.resultIsResult = resultIsResult;
    this.name = name;
    this.value = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A trap after task.return has no caller left to tell; driveTask poisons the instance instead.
    this.value.catch(() => {});
  }

  /** `task.return`: the call's value, lifted by the generated code. */
  return(value: unknown): void {
    if (this.returned) trap('task-returned-twice', `task.return of ${this.name}`);
    this.returned = true;
    const result = value as { tag: 'ok' | 'err'; val: unknown };
    if (this.resultIsResult && result.tag === 'err') this.#reject(new ComponentError(result.val));
    else this.#resolve(this.resultIsResult ? result.val : value);
  }

  fail(error: unknown): void {
    this.#reject(error);
  }
}

/**
 * Runs guest code of `task` while no other guest code of the instance runs: calls of one instance
 * may interleave only between core calls (the spec's `exclusive_thread`), so a callback suspended
 * on a blocking import (JSPI) holds the instance until it returns.
 */
async function exclusively<T>(
  inst: ComponentInstanceState,
  task: Task,
  run: () => Promise<T> | T,
): Promise<T> {
  while (inst.running !== undefined) await inst.running;
  if (inst.poisoned !== undefined) throw inst.poisoned;
  const done = Promise.withResolvers<void>();
  inst.running = done.promise;
  inst.currentTask = task;
  try {
    return await (task.account ? runAs(task.account, run) : run());
  } catch (error) {
    poison(inst, error);
    throw error;
  } finally {
    // A guest that finished after resuming still holds the run: it must not be billed for idle time.
    if (task.account) settle(task.account);
    inst.currentTask = undefined;
    inst.running = undefined;
    done.resolve();
  }
}

/**
 * Runs an async export call to its end: `enter` lowers the arguments and makes the first core call
 * (returning the packed callback code, or nothing for a stackful export). Returns the value given
 * to `task.return`; the loop goes on after it until the guest returns EXIT. Several calls of one
 * instance may be in flight at once, each waiting on its own waitable set.
 */
export function driveTask(
  inst: ComponentInstanceState,
  task: Task,
  enter: () => Promise<unknown>,
  callback: CoreFunction | undefined,
): Promise<unknown> {
  inst.tasks.add(task);
  const loop = async () => {
    // A guest that turned backpressure on takes no new call until it turns it off.
    await inst.whenAcceptingCalls();
    let packed = (await exclusively(inst, task, enter)) as number;
    if (callback !== undefined) {
      for (;;) {
        const code = packed & 0xf;
        if (code === CallbackCode.EXIT) break;
        let event: EventTuple;
        if (code === CallbackCode.YIELD) {
          await new Promise<void>((next) => setImmediate(next));
          event = [EventCode.NONE, 0, 0];
        } else if (code === CallbackCode.WAIT) {
          const set = inst.handles.object<WaitableSet>(
            packed >>> 4,
            HandleKind.waitableSet,
            `the callback of ${task.name} waiting`,
          );
          event = await set.nextEvent();
        } else return trap('callback-code', `${task.name} returned ${packed >>> 0}`);
        packed = await exclusively(inst, task, () => callback(event[0], event[1], event[2]));
      }
    }
    if (!task.returned) trap('task-not-returned', task.name);
    if (task.scope.numBorrows !== 0) trap('borrow-outlived-call', `returning from ${task.name}`);
  };
  task.done = loop()
    .catch((error: unknown) => poison(inst, error))
    .finally(() => inst.tasks.delete(task));
  return task.value;
}

/**
 * A trap leaves the instance in whatever state it was: no call of it runs again. Every call in
 * flight fails with the trap, and every stream or future it was writing ends as dropped, so the
 * host side (a response body, say) sees an unfinished message instead of waiting for bytes that
 * will never come.
 */
function poison(inst: ComponentInstanceState, error: unknown): void {
  if (inst.poisoned !== undefined) return;
  inst.poisoned = error;
  inst.mayEnter = false;
  for (const task of inst.tasks) task.fail(error);
  for (const { kind, rep } of inst.handles.entries())
    if (kind === HandleKind.streamWritable || kind === HandleKind.futureWritable)
      (rep as { source: { drop(): void } }).source.drop();
}

/** `task.return`: checks the call in progress takes this result type and these options. */
export function taskReturn(
  inst: ComponentInstanceState,
  cx: LiftLowerContext,
  resultKey: string,
  value: unknown,
): void {
  const task = inst.currentTask ?? trap('no-current-task', 'task.return');
  if (task.resultKey !== resultKey)
    trap('task-return-type', `${task.name} returns ${task.resultKey}, task.return passed ${resultKey}`);
  if (task.cx.memory !== cx.memory || task.cx.stringEncoding !== cx.stringEncoding)
    trap('task-return-type', `task.return of ${task.name} uses other memory or string-encoding options`);
  task.return(value);
}

export class Subtask extends Waitable {
  state: number = SubtaskState.STARTED;
  resolveDelivered = false;
  cancellationRequested = false;
  /** Asks the host to stop (its promise's `cancel`), when it can. */
  cancelHost: (() => void) | undefined;
}

/** A host function that threw synchronously, for `startSubtask`. */
export class Thrown {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/**
 * The end of an async-lowered host call: `result` is the host's return value (a promise when it
 * has to wait, or a `Thrown`); `deliver(failed, value)` lowers the outcome into the guest (generated
 * code); `lent` are the borrows the call holds until it resolves. Returns the packed i32 the guest gets.
 */
export function startSubtask(
  inst: ComponentInstanceState,
  result: unknown,
  lent: number[] | undefined,
  deliver: (failed: boolean, value: unknown) => void,
): number {
  const handles = inst.handles;
  if (!(result instanceof Promise)) {
    if (result instanceof Thrown) deliver(true, result.error);
    else deliver(false, result);
    if (lent) handles.endLendsOf(lent);
    return SubtaskState.RETURNED;
  }
  const subtask = new Subtask();
  const index = handles.addObject(HandleKind.subtask, subtask);
  const cancel = (result as Partial<CancellablePromise<unknown>>).cancel;
  if (typeof cancel === 'function') subtask.cancelHost = () => cancel.call(result);
  const settle = (failed: boolean, value: unknown) =>
    subtask.setPendingEvent(() => {
      if (failed && value === CANCELLED) subtask.state = SubtaskState.CANCELLED_BEFORE_RETURNED;
      else {
        deliver(failed, value);
        subtask.state = SubtaskState.RETURNED;
      }
      if (lent) handles.endLendsOf(lent);
      subtask.resolveDelivered = true;
      return [EventCode.SUBTASK, index, subtask.state];
    });
  result.then(
    (value) => settle(false, value),
    (error) => settle(true, error),
  );
  return SubtaskState.STARTED | (index << 4);
}
