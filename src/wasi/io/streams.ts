/**
 * `wasi:io/streams` over two small host-side interfaces: a ByteSource behind every input stream
 * (request bodies, stdin, files) and a ByteSink behind every output stream (responses, logs, files).
 * Blocking variants are async host functions: the guest suspends (JSPI) instead of the thread.
 */
import { GuestContractError, ResultError } from '../result-error.ts';
import type { WasiIoStreams } from '../shapes/io.ts';
import { type ErrorCodes, IoError } from './error.ts';
import { Pollable, type Readiness } from './poll.ts';

export type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };

/** Thrown by sources and sinks when the underlying transfer failed (not a plain end of stream). */
export class StreamFailure extends Error {
  readonly codes: ErrorCodes;
  constructor(message: string, codes: ErrorCodes = {}) {
    super(message);
    this.codes = codes;
  }
}

export interface ByteSource {
  /** Up to `max` bytes available now (empty when none yet), or 'eof'. Throws StreamFailure. */
  read(max: number): Uint8Array | 'eof';
  /** True when read() would return data, 'eof' or fail. */
  isReadable(): boolean;
  whenReadable(): Promise<void>;
  /** The guest dropped the stream. */
  close?(): void;
}

export interface ByteSink {
  /** Bytes that may be written now; 0 means wait for whenWritable(). Throws StreamFailure. */
  capacity(): number;
  write(bytes: Uint8Array): void;
  whenWritable(): Promise<void>;
  /** Resolves when written bytes have been handed on (optional). */
  flush?(): Promise<void> | void;
  /** The guest dropped the stream. */
  close?(): void;
}

/** Writes all of `bytes` as the sink has room, waiting when it has none (host-side pumps). */
export async function writeAll(sink: ByteSink, bytes: Uint8Array): Promise<void> {
  let rest = bytes;
  while (rest.length > 0) {
    let room = sink.capacity();
    while (room === 0) {
      await sink.whenWritable();
      room = sink.capacity();
    }
    sink.write(rest.subarray(0, room));
    rest = rest.subarray(room);
  }
}

const closed = (): ResultError<StreamError> => new ResultError<StreamError>({ tag: 'closed' });
const failed = (e: unknown): ResultError<StreamError> => {
  const message = e instanceof Error ? e.message : String(e);
  const codes = e instanceof StreamFailure ? e.codes : {};
  return new ResultError<StreamError>({ tag: 'last-operation-failed', val: new IoError(message, codes) });
};

/** The most one read hands to a guest, whatever it asks for. */
const MAX_READ = 1 << 20;

export class InputStream {
  readonly #source: ByteSource;
  #done = false;
  constructor(source: ByteSource) {
    this.#source = source;
  }

  read(len: bigint): Uint8Array {
    if (this.#done) throw closed();
    const max = Number(len > BigInt(MAX_READ) ? BigInt(MAX_READ) : len);
    if (max === 0) return new Uint8Array(0);
    let chunk: Uint8Array | 'eof';
    try {
      chunk = this.#source.read(max);
    } catch (e) {
      this.#done = true;
      throw failed(e);
    }
    if (chunk === 'eof') {
      this.#done = true;
      throw closed();
    }
    return chunk;
  }

  async blockingRead(len: bigint): Promise<Uint8Array> {
    while (!this.#done && !this.#source.isReadable()) await this.#source.whenReadable();
    return this.read(len);
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  async blockingSkip(len: bigint): Promise<bigint> {
    return BigInt((await this.blockingRead(len)).length);
  }

  subscribe(): Pollable {
    return new Pollable(this.readiness());
  }

  /** @internal for splice */
  readiness(): Readiness {
    return {
      isReady: () => this.#done || this.#source.isReadable(),
      whenReady: () => this.#source.whenReadable(),
    };
  }

  [Symbol.dispose](): void {
    this.#done = true;
    this.#source.close?.();
  }
}

/** The most one blocking write may take (wasi:io/streams). */
const MAX_BLOCKING_WRITE = 4096n;

export class OutputStream {
  readonly #sink: ByteSink;
  #error: ResultError<StreamError> | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;
  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  checkWrite(): bigint {
    this.#throwIfUnusable();
    if (this.#flushing) return 0n;
    try {
      return BigInt(this.#sink.capacity());
    } catch (e) {
      this.#error = failed(e);
      throw this.#error;
    }
  }

  write(contents: Uint8Array): void {
    this.#throwIfUnusable();
    if (contents.length === 0) return;
    try {
      this.#sink.write(contents);
    } catch (e) {
      if (e instanceof GuestContractError) throw e;
      this.#error = failed(e);
      throw this.#error;
    }
  }

  async blockingWriteAndFlush(contents: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < contents.length) {
      const allowed = Number(await this.#waitForCapacity());
      const piece = contents.subarray(offset, offset + allowed);
      this.write(piece);
      offset += piece.length;
    }
    await this.blockingFlush();
  }

  flush(): void {
    this.#throwIfUnusable();
    const pending = this.#sink.flush?.();
    if (pending) {
      this.#flushing = pending.then(
        () => {
          this.#flushing = undefined;
        },
        (e: unknown) => {
          this.#flushing = undefined;
          this.#error = failed(e);
        },
      );
    }
  }

  async blockingFlush(): Promise<void> {
    this.flush();
    if (this.#flushing) await this.#flushing;
    this.#throwIfUnusable();
  }

  subscribe(): Pollable {
    return new Pollable({
      isReady: () => this.#isWritable(),
      whenReady: () => this.#flushing ?? this.#sink.whenWritable(),
    });
  }

  /** At most what `check-write` allows, as for `write`: the host never allocates more for a guest. */
  writeZeroes(len: bigint): void {
    if (len > this.checkWrite())
      throw new GuestContractError(`write-zeroes of ${len} bytes, past what check-write allowed`);
    this.write(new Uint8Array(Number(len)));
  }

  /** At most 4096 bytes, as wasi:io says for the blocking writes (wasmtime traps past it too). */
  async blockingWriteZeroesAndFlush(len: bigint): Promise<void> {
    if (len > MAX_BLOCKING_WRITE)
      throw new GuestContractError(
        `blocking-write-zeroes-and-flush of ${len} bytes; at most 4096 are allowed`,
      );
    await this.blockingWriteAndFlush(new Uint8Array(Number(len)));
  }

  splice(src: InputStream, len: bigint): bigint {
    const allowed = this.checkWrite();
    const chunk = src.read(len < allowed ? len : allowed);
    this.write(chunk);
    return BigInt(chunk.length);
  }

  async blockingSplice(src: InputStream, len: bigint): Promise<bigint> {
    const allowed = await this.#waitForCapacity();
    const chunk = await src.blockingRead(len < allowed ? len : allowed);
    this.write(chunk);
    return BigInt(chunk.length);
  }

  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink.close?.();
  }

  #isWritable(): boolean {
    if (this.#error || this.#closed) return true;
    if (this.#flushing) return false;
    try {
      return this.#sink.capacity() > 0;
    } catch {
      return true;
    }
  }

  async #waitForCapacity(): Promise<bigint> {
    for (;;) {
      const allowed = this.checkWrite();
      if (allowed > 0n) return allowed;
      await (this.#flushing ?? this.#sink.whenWritable());
    }
  }

  #throwIfUnusable(): void {
    if (this.#error) throw this.#error;
    if (this.#closed) throw closed();
  }
}

export const streamsImports = { InputStream, OutputStream } satisfies WasiIoStreams;
