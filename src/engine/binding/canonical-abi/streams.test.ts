/**
 * The async ABI's host-side machinery without a guest: the stream and future rendezvous rules of
 * `CanonicalABI.md` (§ Stream State, § Future State), the host's readers and sources, and how an
 * async-lowered host call becomes a subtask. Guests exercise the same code end to end in
 * test/e2e/wasi-p3-command.test.ts and the WASI 0.3 conformance suite.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComponentInstanceState, LiftLowerContext } from './context.ts';
import { resultKey } from './generate.ts';
import { HandleKind } from './handle-table.ts';
import {
  CopyResult,
  FutureReader,
  HostBuffer,
  HostFuture,
  HostStream,
  SharedFuture,
  SharedStream,
  StreamReader,
} from './streams.ts';
import { CANCELLED, driveTask, type Subtask, SubtaskState, startSubtask, Task, Thrown } from './tasks.ts';
import { EventCode, WaitableSet } from './waitables.ts';

const bytes = (...b: number[]) => new Uint8Array(b);

test('a stream write waits for a reader, then copies straight into its buffer', () => {
  const shared = new SharedStream();
  const results: string[] = [];
  const src = HostBuffer.offering(bytes(1, 2, 3, 4, 5));
  shared.write(
    src,
    (reclaim) => {
      reclaim();
      results.push(`writer copied ${src.progress}`);
    },
    (r) => results.push(`writer done ${r}`),
  );
  assert.equal(results.length, 0, 'no reader yet: the write is pending');
  const dst = HostBuffer.receiving(3);
  shared.read(
    dst,
    () => {},
    (r) => results.push(`reader done ${r}`),
  );
  assert.deepEqual(dst.received(), bytes(1, 2, 3), 'as much as the smaller buffer holds');
  assert.deepEqual(results, ['writer copied 3', `reader done ${CopyResult.COMPLETED}`]);
});

test('dropping one end tells the other end DROPPED, now or at its next copy', () => {
  const shared = new SharedStream();
  let reader: number | undefined;
  shared.read(
    HostBuffer.receiving(4),
    () => {},
    (r) => {
      reader = r;
    },
  );
  shared.drop();
  assert.equal(reader, CopyResult.DROPPED, 'a pending read learns at once');
  let writer: number | undefined;
  shared.write(
    HostBuffer.offering(bytes(1)),
    () => {},
    (r) => {
      writer = r;
    },
  );
  assert.equal(writer, CopyResult.DROPPED, 'a later write learns at its copy');
});

test('a zero-length write completes against a zero-length read, which stays pending', () => {
  const shared = new SharedStream();
  const events: string[] = [];
  shared.read(
    HostBuffer.receiving(0),
    () => {},
    (r) => events.push(`read ${r}`),
  );
  shared.write(
    HostBuffer.offering(bytes()),
    () => {},
    (r) => events.push(`write ${r}`),
  );
  assert.deepEqual([...events], [`write ${CopyResult.COMPLETED}`]);
  shared.cancel();
  assert.deepEqual(events, [`write ${CopyResult.COMPLETED}`, `read ${CopyResult.CANCELLED}`]);
});

test('a host reader gets the bytes written, then undefined once the writer is gone', async () => {
  const shared = new SharedStream();
  const reader = new StreamReader(shared);
  const first = reader.read(10);
  shared.write(
    HostBuffer.offering(bytes(7, 8)),
    () => {},
    () => {},
  );
  assert.deepEqual(await first, bytes(7, 8));
  const second = reader.read(10);
  shared.drop();
  assert.equal(await second, undefined);
  assert.equal(await reader.read(), undefined, 'and stays ended');
});

test('a host stream keeps what did not fit for the next read, then ends with DROPPED', async () => {
  const chunks = [bytes(1, 2, 3, 4), undefined];
  const stream = new HostStream(async () => chunks.shift());
  const read = (n: number) =>
    new Promise<[number, Uint8Array | unknown[]]>((resolve) => {
      const dst = HostBuffer.receiving(n);
      stream.read(
        dst,
        () => {},
        (r) => resolve([r, dst.received()]),
      );
    });
  assert.deepEqual(await read(3), [CopyResult.COMPLETED, bytes(1, 2, 3)]);
  assert.deepEqual(await read(3), [CopyResult.COMPLETED, bytes(4)]);
  assert.deepEqual((await read(3))[0], CopyResult.DROPPED);
});

test('a future carries one value; a reader of a future dropped unwritten learns it was dropped', async () => {
  const shared = new SharedFuture();
  const reader = new FutureReader(shared);
  const value = reader.read();
  shared.write(HostBuffer.offering([{ tag: 'ok' }]), () => {});
  assert.deepEqual(await value, { value: { tag: 'ok' } });
  const unwritten = new SharedFuture();
  const pending = new FutureReader(unwritten).read();
  unwritten.drop();
  assert.deepEqual(await pending, { dropped: true });
  const host = new HostFuture(Promise.resolve(42));
  assert.deepEqual(await new FutureReader(host).read(), { value: 42 });
});

test('an async-lowered host call that returns a value is RETURNED at once, with no subtask', () => {
  const inst = new ComponentInstanceState();
  const delivered: unknown[] = [];
  const code = startSubtask(inst, 5, undefined, (failed, v) => delivered.push([failed, v]));
  assert.equal(code, SubtaskState.RETURNED);
  assert.deepEqual([...delivered], [[false, 5]]);
  assert.equal(inst.handles.size, 0);
  const thrown = startSubtask(inst, new Thrown('boom'), undefined, (failed, v) =>
    delivered.push([failed, v]),
  );
  assert.equal(thrown, SubtaskState.RETURNED);
  assert.deepEqual(delivered[1], [true, 'boom']);
});

test('a host call that waits becomes a subtask; its result is delivered with the SUBTASK event', async () => {
  const inst = new ComponentInstanceState();
  let resolve!: (v: unknown) => void;
  const delivered: unknown[] = [];
  const code = startSubtask(
    inst,
    new Promise((r) => {
      resolve = r;
    }),
    undefined,
    (_failed, v) => delivered.push(v),
  );
  assert.equal(code & 0xf, SubtaskState.STARTED);
  const index = code >>> 4;
  const subtask = inst.handles.object<Subtask>(index, HandleKind.subtask, 'test');
  const set = new WaitableSet();
  subtask.join(set);
  assert.deepEqual(set.poll(), [EventCode.NONE, 0, 0]);
  resolve('value');
  assert.deepEqual(await set.nextEvent(), [EventCode.SUBTASK, index, SubtaskState.RETURNED]);
  assert.deepEqual([...delivered], ['value'], 'lowered only when the event was taken');
  assert.equal(subtask.resolveDelivered, true);
});

test('a cancelled host call ends CANCELLED_BEFORE_RETURNED and lowers nothing', async () => {
  const inst = new ComponentInstanceState();
  let reject!: (e: unknown) => void;
  const promise = Object.assign(
    new Promise((_, r) => {
      reject = r;
    }),
    { cancel: () => reject(CANCELLED) },
  );
  const delivered: unknown[] = [];
  const code = startSubtask(inst, promise, undefined, (_f, v) => delivered.push(v));
  const subtask = inst.handles.object<Subtask>(code >>> 4, HandleKind.subtask, 'test');
  const set = new WaitableSet();
  subtask.join(set);
  subtask.cancelHost?.();
  const [, , state] = await set.nextEvent();
  assert.equal(state, SubtaskState.CANCELLED_BEFORE_RETURNED);
  assert.deepEqual(delivered, []);
});

test('backpressure: a new async call waits to start until the guest turns it off', async () => {
  const inst = new ComponentInstanceState();
  inst.backpressure = 1;
  const task = new Task(new LiftLowerContext(inst), resultKey(undefined), false, 'test#call');
  let entered = false;
  // A stackful call: entering it returns task.return's value right away.
  const value = driveTask(
    inst,
    task,
    async () => {
      entered = true;
      task.return(undefined);
    },
    undefined,
  );
  await new Promise((next) => setImmediate(next));
  assert.equal(entered, false, 'not started while backpressure is on');
  inst.backpressure = 0;
  await value;
  assert.equal(entered, true);
});
