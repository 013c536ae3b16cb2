/** Host shapes of `wasi:io@0.2.x` (wit/deps/io): error, poll, streams. */
import type { ResourceClass } from './resource.ts';

/** `wasi:io/error#error`. */
export interface IoError {
  toDebugString(): string;
}

/** `wasi:io/error`. */
export interface WasiIoError {
  Error: ResourceClass<IoError>;
}

/** `wasi:io/poll#pollable`. */
export interface Pollable {
  ready(): boolean;
  /** Suspends the guest (JSPI) until the pollable is ready. */
  block(): Promise<void>;
}

/** `wasi:io/poll`. */
export interface WasiIoPoll {
  Pollable: ResourceClass<Pollable>;
  /** `poll(in: list<borrow<pollable>>) -> list<u32>`; suspends the guest (JSPI) until one is ready. */
  poll(pollables: Pollable[]): Promise<Uint32Array>;
}

/** `wasi:io/streams#stream-error`. */
export type StreamError = { tag: 'last-operation-failed'; val: IoError } | { tag: 'closed' };

/** `wasi:io/streams#input-stream`. Every method: `@throws ResultError<StreamError>`. */
export interface InputStream {
  read(len: bigint): Uint8Array;
  blockingRead(len: bigint): Promise<Uint8Array>;
  skip(len: bigint): bigint;
  blockingSkip(len: bigint): Promise<bigint>;
  /** Infallible. */
  subscribe(): Pollable;
}

/** `wasi:io/streams#output-stream`. Every method but `subscribe`: `@throws ResultError<StreamError>`. */
export interface OutputStream {
  checkWrite(): bigint;
  write(contents: Uint8Array): void;
  blockingWriteAndFlush(contents: Uint8Array): Promise<void>;
  flush(): void;
  blockingFlush(): Promise<void>;
  subscribe(): Pollable;
  writeZeroes(len: bigint): void;
  blockingWriteZeroesAndFlush(len: bigint): Promise<void>;
  /** `src` is borrowed. */
  splice(src: InputStream, len: bigint): bigint;
  blockingSplice(src: InputStream, len: bigint): Promise<bigint>;
}

/** `wasi:io/streams`. */
export interface WasiIoStreams {
  InputStream: ResourceClass<InputStream>;
  OutputStream: ResourceClass<OutputStream>;
}
