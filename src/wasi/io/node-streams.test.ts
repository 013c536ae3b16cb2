import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readableSource, writableSink } from './node-streams.ts';

const listeners = (s: PassThrough, events: string[]) => events.reduce((n, e) => n + s.listenerCount(e), 0);

test('abandoned waits on a readable (a guest polling it with a timer) share one set of listeners', async () => {
  const stream = new PassThrough();
  const source = readableSource(stream);
  const events = ['readable', 'end', 'close', 'error'];
  const before = listeners(stream, events);
  // Each poll that a timer wins leaves its wait behind, as a guest's event loop does.
  for (let i = 0; i < 1000; i++) void source.whenReadable();
  assert.equal(listeners(stream, events) - before, events.length, 'one wait in flight, not a thousand');
  stream.write('x');
  await source.whenReadable();
  await new Promise((r) => setImmediate(r));
  assert.equal(listeners(stream, events), before, 'all gone once the stream became readable');
  assert.deepEqual(Buffer.from(source.read(10) as Uint8Array), Buffer.from('x'));
  // A new wait after that works again.
  const next = source.whenReadable();
  stream.end('y');
  await next;
});

test('abandoned waits on a writable that needs draining share one set of listeners', async () => {
  const stream = new PassThrough({ highWaterMark: 4 });
  const sink = writableSink(stream);
  sink.write(new Uint8Array(100));
  assert.equal(sink.capacity(), 0);
  const before = listeners(stream, ['drain', 'close', 'error']);
  for (let i = 0; i < 1000; i++) void sink.whenWritable();
  assert.equal(listeners(stream, ['drain', 'close', 'error']) - before, 3);
  stream.resume();
  await sink.whenWritable();
  await new Promise((r) => setImmediate(r));
  assert.equal(listeners(stream, ['drain', 'close', 'error']), before);
});
