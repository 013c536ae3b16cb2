/** ByteSources and ByteSinks over Node streams and memory, with backpressure both ways. */
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { type ByteSink, type ByteSource, StreamFailure } from './streams.ts';

/** How much a sink accepts before the guest must wait for 'drain'. */
const SINK_WINDOW = 64 * 1024;

/**
 * Resolves on the first of `events`, then removes every listener it added: a guest streaming a
 * long body waits thousands of times on one stream, and each wait must leave nothing behind.
 */
function firstOf(emitter: EventEmitter, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const event of events) emitter.off(event, done);
      resolve();
    };
    for (const event of events) emitter.on(event, done);
  });
}

/**
 * One pending wait per stream, shared by every waiter until it settles. A guest that polls the
 * stream together with a timer (as async runtimes do) abandons most of its waits when the timer
 * wins; each new wait must join the one in flight, not add listeners of its own.
 */
function sharedWait(emitter: EventEmitter, events: string[]): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= firstOf(emitter, events).finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

/** Reads a Node Readable in paused mode, so an unread body is never pulled into memory. */
export function readableSource(
  stream: Readable,
  describeError = (e: Error) => new StreamFailure(e.message),
): ByteSource {
  let leftover: Uint8Array | undefined;
  let ended = false;
  let failure: StreamFailure | undefined;
  stream.on('end', () => {
    ended = true;
  });
  stream.on('error', (e) => {
    failure = describeError(e);
  });
  const readableOrDone = sharedWait(stream, ['readable', 'end', 'close', 'error']);
  // A readable closed without 'end' (client went away) is a failure, not a clean end.
  stream.on('close', () => {
    if (!ended && !failure) failure = describeError(new Error('the stream was closed before its end'));
  });
  const take = (max: number): Uint8Array | undefined => {
    if (!leftover) {
      const chunk: Buffer | string | null = stream.read();
      if (chunk === null) return undefined;
      leftover = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    }
    const piece = leftover.subarray(0, max);
    leftover = max < leftover.length ? leftover.subarray(max) : undefined;
    return piece;
  };
  return {
    read(max) {
      const piece = take(max);
      if (piece) return piece;
      if (failure) throw failure;
      if (ended || stream.readableEnded) return 'eof';
      return new Uint8Array(0);
    },
    isReadable: () =>
      Boolean(leftover) ||
      stream.readableLength > 0 ||
      ended ||
      stream.readableEnded ||
      Boolean(failure) ||
      stream.destroyed,
    async whenReadable() {
      if (leftover || stream.readableLength > 0 || ended || failure || stream.destroyed) return;
      await readableOrDone();
    },
    close() {
      leftover = undefined;
    },
  };
}

/** Writes to a Node Writable; capacity drops to 0 while it needs draining. */
export function writableSink(
  stream: Writable,
  describeError = (e: Error) => new StreamFailure(e.message),
): ByteSink {
  let failure: StreamFailure | undefined;
  stream.on('error', (e) => {
    failure = describeError(e);
  });
  const drainedOrDone = sharedWait(stream, ['drain', 'close', 'error']);
  return {
    capacity() {
      if (failure) throw failure;
      if (stream.destroyed || stream.writableEnded) throw new StreamFailure('the peer closed the stream');
      return stream.writableNeedDrain ? 0 : SINK_WINDOW;
    },
    write(bytes) {
      stream.write(bytes);
    },
    async whenWritable() {
      if (!stream.writableNeedDrain || failure || stream.destroyed) return;
      await drainedOrDone();
    },
  };
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  let offset = 0;
  return {
    read(max) {
      if (offset >= bytes.length) return 'eof';
      const piece = bytes.subarray(offset, offset + max);
      offset += piece.length;
      return piece;
    },
    isReadable: () => true,
    whenReadable: () => Promise.resolve(),
  };
}

export const emptySource = (): ByteSource => bytesSource(new Uint8Array(0));

/** Accepts everything, keeps nothing. */
export function discardSink(): ByteSink {
  return { capacity: () => SINK_WINDOW, write: () => {}, whenWritable: () => Promise.resolve() };
}

/** Splits guest output into lines for the host log; a partial last line is emitted on close. */
export function lineSink(emit: (line: string) => void): ByteSink {
  const decoder = new TextDecoder();
  let pending = '';
  const MAX_LINE = 16 * 1024;
  return {
    capacity: () => SINK_WINDOW,
    write(bytes) {
      pending += decoder.decode(bytes, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        emit(pending.slice(0, newline).replace(/\r$/, ''));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      // A guest that never writes a newline must not grow the buffer without bound.
      if (pending.length > MAX_LINE) {
        emit(pending);
        pending = '';
      }
    },
    whenWritable: () => Promise.resolve(),
    close() {
      pending += decoder.decode();
      if (pending) emit(pending);
      pending = '';
    },
  };
}

/**
 * Passes a source through until `maxBytes` have been read, then fails the stream with `failure`
 * (and calls `onExceeded`, e.g. to stop receiving), so a body larger than allowed never reaches
 * the guest whole — whatever the sender claimed in its headers.
 */
export function limitedSource(
  source: ByteSource,
  maxBytes: number,
  failure: () => StreamFailure,
  onExceeded: () => void,
): ByteSource {
  let total = 0;
  return {
    ...source,
    read(max) {
      const chunk = source.read(max);
      if (chunk === 'eof') return chunk;
      total += chunk.length;
      if (total > maxBytes) {
        onExceeded();
        throw failure();
      }
      return chunk;
    },
  };
}
