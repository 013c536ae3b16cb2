/**
 * The stream and future built-ins (`canon stream.*`, `canon future.*`) and the lifting and lowering
 * of `stream<T>` / `future<T>` values: a readable end moves between the guest's handle table and
 * the host (`StreamReader`, `FutureReader`, `HostStream`, `HostFuture` in streams.ts).
 */
import type { ComponentInstanceState, LiftLowerContext } from './context.ts';
import { HandleKind } from './handle-table.ts';
import {
  CopyResult,
  type ElementCodec,
  FutureReader,
  GuestBuffer,
  type ReadableFutureSource,
  type ReadableStreamSource,
  SharedFuture,
  SharedStream,
  StreamReader,
} from './streams.ts';
import { BLOCKED } from './tasks.ts';
import { trap } from './trap.ts';
import { EventCode, type EventTuple, Waitable, WaitableSet } from './waitables.ts';

const CopyState = { IDLE: 1, COPYING: 2, CANCELLING: 3, DONE: 4 } as const;

/** One end of a stream or future in a guest's handle table. */
export class CopyEnd<Source> extends Waitable {
  state: number = CopyState.IDLE;
  readonly source: Source;
  readonly elementKey: string;
  constructor(source: Source, elementKey: string) {
    super();
    this.source = source;
    this.elementKey = elementKey;
  }
}

type Kind = 'stream' | 'future';
const KINDS = {
  stream: { readable: HandleKind.streamReadable, writable: HandleKind.streamWritable },
  future: { readable: HandleKind.futureReadable, writable: HandleKind.futureWritable },
} as const;

function endAt<S>(
  inst: ComponentInstanceState,
  i: number,
  kind: HandleKind,
  elementKey: string,
  what: string,
): CopyEnd<S> {
  const end = inst.handles.object<CopyEnd<S>>(i >>> 0, kind, what);
  if (end.elementKey !== elementKey)
    trap('handle-type-mismatch', `${what}: handle ${i >>> 0} carries ${end.elementKey}, not ${elementKey}`);
  return end;
}

export function streamOrFutureNew(
  inst: ComponentInstanceState,
  kind: Kind,
  elementKey: string,
): () => bigint {
  return () => {
    if (!inst.mayLeave) trap('may-leave', `${kind}.new`);
    const shared = kind === 'stream' ? new SharedStream() : new SharedFuture();
    const ri = inst.handles.addObject(KINDS[kind].readable, new CopyEnd(shared, elementKey));
    const wi = inst.handles.addObject(KINDS[kind].writable, new CopyEnd(shared, elementKey));
    return BigInt(ri) | (BigInt(wi) << 32n);
  };
}

/** Waits (JSPI) for the end's next event: the sync forms of read, write and cancel. */
async function waitForEvent(end: Waitable): Promise<EventTuple> {
  const set = new WaitableSet();
  end.join(set);
  try {
    return await set.nextEvent();
  } finally {
    end.join(undefined);
  }
}

/**
 * `stream.read/write`, `future.read/write`: offers the guest's buffer to the other end. Returns the
 * packed `result | progress << 4` when the copy finished at once, else BLOCKED (async) or, in the
 * sync form, a promise JSPI waits on.
 */
export function copyBuiltin(
  inst: ComponentInstanceState,
  kind: Kind,
  direction: 'read' | 'write',
  elementKey: string,
  cx: LiftLowerContext,
  codec: ElementCodec,
  async: boolean,
): (i: number, ptr: number, n?: number) => number | Promise<number> {
  const what = `${kind}.${direction}`;
  const handleKind = direction === 'read' ? KINDS[kind].readable : KINDS[kind].writable;
  const eventCode =
    kind === 'stream'
      ? direction === 'read'
        ? EventCode.STREAM_READ
        : EventCode.STREAM_WRITE
      : direction === 'read'
        ? EventCode.FUTURE_READ
        : EventCode.FUTURE_WRITE;
  return (index, ptr, n = 1) => {
    if (!inst.mayLeave) trap('may-leave', what);
    const i = index >>> 0;
    const end = endAt<SharedStream | SharedFuture | ReadableStreamSource | ReadableFutureSource>(
      inst,
      i,
      handleKind,
      elementKey,
      what,
    );
    if (end.state !== CopyState.IDLE)
      trap('invalid-handle', `${what}: handle ${i} is ${end.state === CopyState.DONE ? 'done' : 'busy'}`);
    if (end.set !== undefined && !async)
      trap('invalid-handle', `sync ${what} of handle ${i} in a waitable set`);
    const buffer = new GuestBuffer(cx, codec, ptr, kind === 'future' ? 1 : n, what);
    const event = (result: number, reclaim: () => void) => (): EventTuple => {
      reclaim();
      end.state = result === CopyResult.DROPPED ? CopyState.DONE : CopyState.IDLE;
      if (kind === 'future' && result === CopyResult.COMPLETED) end.state = CopyState.DONE;
      // A future's count is implied by its result: only streams pack the progress.
      return [eventCode, i, kind === 'future' ? result : (result | (buffer.progress << 4)) >>> 0];
    };
    const onCopy = (reclaim: () => void) => end.setPendingEvent(event(CopyResult.COMPLETED, reclaim));
    const onCopyDone = (result: number) => end.setPendingEvent(event(result, () => {}));
    end.state = CopyState.COPYING;
    const source = end.source;
    if (kind === 'stream') {
      if (direction === 'read') (source as ReadableStreamSource).read(buffer, onCopy, onCopyDone);
      else (source as SharedStream).write(buffer, onCopy, onCopyDone);
    } else if (direction === 'read') (source as ReadableFutureSource).read(buffer, onCopyDone);
    else (source as SharedFuture).write(buffer, onCopyDone);
    if (end.hasPendingEvent) return end.takePendingEvent()[2];
    if (async) return BLOCKED;
    return waitForEvent(end).then((e) => e[2]);
  };
}

/** `{stream,future}.cancel-{read,write}`: takes the buffer back from a copy in progress. */
export function cancelBuiltin(
  inst: ComponentInstanceState,
  kind: Kind,
  direction: 'read' | 'write',
  elementKey: string,
  async: boolean,
): (i: number) => number | Promise<number> {
  const what = `${kind}.cancel-${direction}`;
  const handleKind = direction === 'read' ? KINDS[kind].readable : KINDS[kind].writable;
  return (index) => {
    if (!inst.mayLeave) trap('may-leave', what);
    const i = index >>> 0;
    const end = endAt<{ cancel(): void }>(inst, i, handleKind, elementKey, what);
    if (end.state !== CopyState.COPYING)
      trap('invalid-handle', `${what}: handle ${i} has no copy in progress`);
    end.state = CopyState.CANCELLING;
    if (!end.hasPendingEvent) end.source.cancel();
    if (end.hasPendingEvent) return end.takePendingEvent()[2];
    if (async) return BLOCKED;
    return waitForEvent(end).then((e) => e[2]);
  };
}

/** `{stream,future}.drop-{readable,writable}`: the other end sees DROPPED at its next copy. */
export function dropBuiltin(
  inst: ComponentInstanceState,
  kind: Kind,
  side: 'readable' | 'writable',
  elementKey: string,
): (i: number) => void {
  const what = `${kind}.drop-${side}`;
  return (index) => {
    if (!inst.mayLeave) trap('may-leave', what);
    const i = index >>> 0;
    const end = endAt<{ drop(): void }>(inst, i, KINDS[kind][side], elementKey, what);
    if (end.state === CopyState.COPYING || end.state === CopyState.CANCELLING)
      trap('invalid-handle', `${what}: handle ${i} has a copy in progress`);
    if (kind === 'future' && side === 'writable' && end.state !== CopyState.DONE)
      trap('invalid-handle', `${what}: future ${i} was dropped before a value was written`);
    end.source.drop();
    end.join(undefined);
    inst.handles.removeObject(i, KINDS[kind][side], what);
  };
}

/** `lift_stream`/`lift_future`: the guest hands the host a readable end. */
export function liftReadable(inst: ComponentInstanceState, kind: Kind, index: number, elementKey: string) {
  const what = `passing a ${kind}`;
  const end = endAt<ReadableStreamSource & ReadableFutureSource>(
    inst,
    index,
    KINDS[kind].readable,
    elementKey,
    what,
  );
  if (end.state !== CopyState.IDLE) trap('invalid-handle', `${what}: handle ${index} is busy or done`);
  end.join(undefined);
  inst.handles.removeObject(index, KINDS[kind].readable, what);
  return kind === 'stream' ? new StreamReader(end.source) : new FutureReader(end.source);
}

/** `lower_stream`/`lower_future`: the host hands the guest a readable end (`HostStream`, `HostFuture`). */
export function lowerReadable(inst: ComponentInstanceState, kind: Kind, value: unknown, elementKey: string) {
  const source = value as (ReadableStreamSource & ReadableFutureSource) | undefined;
  if (typeof source?.read !== 'function' || typeof source.drop !== 'function')
    throw new TypeError(`the host passed ${String(value)} where a ${kind} was expected`);
  return inst.handles.addObject(KINDS[kind].readable, new CopyEnd(source, elementKey));
}
