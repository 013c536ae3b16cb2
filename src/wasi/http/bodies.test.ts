import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ByteSink } from '../io/streams.ts';
import { ResultError } from '../result-error.ts';
import { type BodyTarget, OutgoingBody } from './bodies.ts';

const bytes = (n: number) => new Uint8Array(n).fill(0x61);

/** A target that records what reached "the wire". */
function recordingTarget() {
  const wire: number[] = [];
  const events: string[] = [];
  const sink: ByteSink = {
    capacity: () => 65536,
    write: (b) => {
      wire.push(b.length);
    },
    whenWritable: () => Promise.resolve(),
  };
  const target: BodyTarget = {
    sink,
    finish: () => events.push('finish'),
    abort: (reason) => events.push(`abort: ${reason}`),
  };
  return { target, wire, events, total: () => wire.reduce((a, b) => a + b, 0) };
}

/** The error a write gets, as the guest would see it through the stream. */
function writeError(write: () => void): { message: string; http: unknown } | undefined {
  try {
    write();
  } catch (e) {
    const payload = (e as ResultError<{ tag: string; val: { message: string; codes: { http: unknown } } }>)
      .payload;
    return { message: payload.val.message, http: payload.val.codes.http };
  }
  return undefined;
}

test('a write past the declared content-length fails with HTTP-response-body-size and nothing of it is written', () => {
  const body = new OutgoingBody(5, 'HTTP-response-body-size');
  const { target, total } = recordingTarget();
  body.attach(target);
  const stream = body.write();
  stream.write(bytes(3));
  const error = writeError(() => stream.write(bytes(3)));
  assert.deepEqual(error?.http, { tag: 'HTTP-response-body-size', val: 6n });
  assert.match(error?.message ?? '', /would pass the declared content-length of 5/);
  assert.equal(total(), 3, 'only the bytes within the length reached the wire');
  assert.match(body.lengthProblem ?? '', /content-length of 5/);
});

test('finishing short of the declared length fails for the guest and aborts the message', () => {
  const body = new OutgoingBody(10, 'HTTP-request-body-size');
  const { target, events } = recordingTarget();
  body.attach(target);
  body.write().write(bytes(4));
  assert.throws(
    () => OutgoingBody.finish(body, undefined),
    (e: unknown) =>
      e instanceof ResultError &&
      (e.payload as { tag: string; val: bigint }).tag === 'HTTP-request-body-size' &&
      (e.payload as { val: bigint }).val === 4n,
  );
  assert.equal(body.state, 'aborted');
  assert.deepEqual(events, ['abort: the body ended after 4 bytes, but its content-length declares 10']);
});

test('a body finished short before it was attached is aborted when attached, never finished', () => {
  const body = new OutgoingBody(10, 'HTTP-response-body-size');
  body.write().write(bytes(2));
  OutgoingBody.finish(body, undefined);
  const { target, events, total } = recordingTarget();
  body.attach(target);
  assert.equal(total(), 0, 'none of its bytes are sent, so the host can still answer 500');
  assert.deepEqual(events, ['abort: the body ended after 2 bytes, but its content-length declares 10']);
});

test('an exact length finishes normally; a waived length (HEAD, 204, 304) is not enforced', () => {
  const exact = new OutgoingBody(4, 'HTTP-response-body-size');
  const one = recordingTarget();
  exact.attach(one.target);
  exact.write().write(bytes(4));
  OutgoingBody.finish(exact, undefined);
  assert.deepEqual(one.events, ['finish']);
  assert.equal(exact.lengthProblem, undefined);

  const head = new OutgoingBody(1000, 'HTTP-response-body-size');
  head.waiveLength();
  const two = recordingTarget();
  head.attach(two.target);
  OutgoingBody.finish(head, undefined);
  assert.deepEqual(two.events, ['finish']);
});

test('without a declared length any amount may be written', () => {
  const body = new OutgoingBody(undefined, 'HTTP-response-body-size');
  const { target, events, total } = recordingTarget();
  body.attach(target);
  const stream = body.write();
  for (let i = 0; i < 10; i++) stream.write(bytes(1000));
  OutgoingBody.finish(body, undefined);
  assert.equal(total(), 10_000);
  assert.deepEqual(events, ['finish']);
});
