/**
 * The async ABI's built-ins (`canon context.*`, `waitable-set.*`, `waitable.join`, `subtask.*`,
 * `task.cancel`, `backpressure.*`, `thread.yield`) as core functions for one instance. `task.return`
 * is generated code (it lifts a value), see generate.ts; these only move indices and events.
 */
import type { ComponentInstanceState } from './context.ts';
import type { GuestMemory } from './guest-memory.ts';
import { HandleKind } from './handle-table.ts';
import { BLOCKED, type Subtask } from './tasks.ts';
import { trap } from './trap.ts';
import { type EventTuple, Waitable, WaitableSet } from './waitables.ts';

function checkMayLeave(inst: ComponentInstanceState, what: string): void {
  if (!inst.mayLeave) trap('may-leave', what);
}

const storage = (inst: ComponentInstanceState) => inst.currentTask?.context ?? inst.syncContext;

export function contextGet(inst: ComponentInstanceState, slot: number): () => number {
  return () => storage(inst)[slot] as number;
}

export function contextSet(inst: ComponentInstanceState, slot: number): (value: number) => void {
  return (value) => {
    storage(inst)[slot] = value;
  };
}

export function waitableSetNew(inst: ComponentInstanceState): () => number {
  return () => {
    checkMayLeave(inst, 'waitable-set.new');
    return inst.handles.addObject(HandleKind.waitableSet, new WaitableSet());
  };
}

const setAt = (inst: ComponentInstanceState, i: number, what: string) =>
  inst.handles.object<WaitableSet>(i >>> 0, HandleKind.waitableSet, what);

/** `unpack_event`: p1 and p2 as two u32 at `ptr`, the code returned. */
function storeEvent(memory: GuestMemory, ptr: number, [code, p1, p2]: EventTuple): number {
  const p = ptr >>> 0;
  memory.refresh();
  if (p % 4 !== 0) trap('misaligned', `the event record at ${p}`);
  if (p + 8 > memory.u8.length) trap('out-of-bounds', `the event record at ${p}`);
  memory.dv.setUint32(p, p1, true);
  memory.dv.setUint32(p + 4, p2, true);
  return code;
}

export function waitableSetPoll(
  inst: ComponentInstanceState,
  memory: GuestMemory,
): (set: number, ptr: number) => number {
  return (set, ptr) => {
    checkMayLeave(inst, 'waitable-set.poll');
    return storeEvent(memory, ptr, setAt(inst, set, 'waitable-set.poll').poll());
  };
}

/** Suspends the guest's stack (JSPI) until an event arrives: stackful async exports use it. */
export function waitableSetWait(
  inst: ComponentInstanceState,
  memory: GuestMemory,
): (set: number, ptr: number) => Promise<number> {
  return async (set, ptr) => {
    checkMayLeave(inst, 'waitable-set.wait');
    const task = inst.currentTask;
    const event = await setAt(inst, set, 'waitable-set.wait').nextEvent();
    inst.currentTask = task;
    return storeEvent(memory, ptr, event);
  };
}

export function waitableSetDrop(inst: ComponentInstanceState): (set: number) => void {
  return (i) => {
    checkMayLeave(inst, 'waitable-set.drop');
    setAt(inst, i, 'waitable-set.drop').checkDroppable(i);
    inst.handles.removeObject(i >>> 0, HandleKind.waitableSet, 'waitable-set.drop');
  };
}

/** Subtasks and stream/future ends are waitables; resources, sets and error contexts are not. */
const WAITABLE_KINDS = new Set<number>([
  HandleKind.subtask,
  HandleKind.streamReadable,
  HandleKind.streamWritable,
  HandleKind.futureReadable,
  HandleKind.futureWritable,
]);

function waitableAt(inst: ComponentInstanceState, i: number, what: string): Waitable {
  const value = inst.handles.rep[i];
  if (!(value instanceof Waitable) || !WAITABLE_KINDS.has(inst.handles.kind[i] as number))
    trap('invalid-handle', `${what}: handle ${i} is not a waitable`);
  return value;
}

export function waitableJoin(inst: ComponentInstanceState): (waitable: number, set: number) => void {
  return (wi, si) => {
    checkMayLeave(inst, 'waitable.join');
    const waitable = waitableAt(inst, wi >>> 0, 'waitable.join');
    waitable.join(si === 0 ? undefined : setAt(inst, si, 'waitable.join'));
  };
}

export function subtaskDrop(inst: ComponentInstanceState): (subtask: number) => void {
  return (i) => {
    checkMayLeave(inst, 'subtask.drop');
    const subtask = inst.handles.object<Subtask>(i >>> 0, HandleKind.subtask, 'subtask.drop');
    if (!subtask.resolveDelivered) trap('subtask-unresolved', `subtask ${i >>> 0}`);
    subtask.join(undefined);
    inst.handles.removeObject(i >>> 0, HandleKind.subtask, 'subtask.drop');
  };
}

/**
 * `subtask.cancel`: asks the host to stop (when its promise can be cancelled). A subtask that
 * already resolved gets its resolution delivered now. The sync form waits (JSPI) for the outcome;
 * the async form returns BLOCKED and the outcome comes as a SUBTASK event.
 */
export function subtaskCancel(
  inst: ComponentInstanceState,
  async: boolean,
): (subtask: number) => number | Promise<number> {
  return (index) => {
    const i = index >>> 0;
    checkMayLeave(inst, 'subtask.cancel');
    const subtask = inst.handles.object<Subtask>(i, HandleKind.subtask, 'subtask.cancel');
    if (subtask.resolveDelivered || subtask.cancellationRequested) trap('subtask-cancel', `subtask ${i}`);
    if (subtask.set !== undefined && !async)
      trap('subtask-cancel', `sync subtask.cancel of subtask ${i}, which is in a waitable set`);
    subtask.cancellationRequested = true;
    subtask.cancelHost?.();
    if (subtask.hasPendingEvent) return subtask.takePendingEvent()[2];
    if (async) return BLOCKED;
    return (async () => {
      const set = new WaitableSet();
      subtask.join(set);
      const [, , state] = await set.nextEvent();
      subtask.join(undefined);
      return state;
    })();
  };
}

export function taskCancel(inst: ComponentInstanceState): () => void {
  return () => {
    checkMayLeave(inst, 'task.cancel');
    // Skiff never asks a guest's task to cancel yet, so confirming one is always out of turn.
    trap('task-cancel', inst.currentTask?.name ?? 'outside an async call');
  };
}

export function backpressureChange(inst: ComponentInstanceState, delta: 1 | -1): () => void {
  return () => {
    inst.backpressure += delta;
    if (inst.backpressure < 0 || inst.backpressure >= 2 ** 16)
      trap('invalid-handle', `backpressure count ${inst.backpressure} out of range`);
  };
}

export function backpressureSet(inst: ComponentInstanceState): (enabled: number) => void {
  return (enabled) => {
    inst.backpressure = enabled === 0 ? 0 : 1;
  };
}

/** `thread.yield`: nothing else of this instance is waiting to run, so the guest goes on (not cancelled). */
export const threadYield = (): (() => number) => () => 0;
