/**
 * Streams and futures of the async ABI (`CanonicalABI.md` § Buffer State, § Stream State, § Future
 * State). A stream is a rendezvous: a read and a write each offer a buffer, and the values are
 * copied straight from one to the other when both are there, with no buffer of the host's own.
 *
 * - `SharedStream` / `SharedFuture` join the two ends of one a guest made (`stream.new`); either
 *   side may be the guest (a `GuestBuffer` over its memory) or the host (a `HostBuffer`).
 * - `StreamReader` / `FutureReader` are what the host holds once a guest hands it a readable end
 *   (a `stream<T>` argument, say stdout's `write-via-stream`): it reads values as JS values.
 * - `HostStream` / `HostFuture` are readable ends the host makes and hands to a guest (stdin, the
 *   outcome future of a write): the guest reads them with `stream.read` / `future.read`.
 */
import type { LiftLowerContext } from './context.ts';
import { trap } from './trap.ts';

export const CopyResult = { COMPLETED: 0, DROPPED: 1, CANCELLED: 2 } as const;

/** Elements of a stream or future as they sit in guest memory (generated per element type). */
export interface ElementCodec {
  size: number;
  align: number;
  /** The element is a byte: values travel as Uint8Array. */
  bytes: boolean;
  load(cx: LiftLowerContext, ptr: number): unknown;
  store(cx: LiftLowerContext, value: unknown, ptr: number): void;
}

/** A batch of values: bytes for `stream<u8>`, an array otherwise. */
export type Values = Uint8Array | unknown[];

export interface CopyBuffer {
  /** How many more values fit (writable) or are left (readable). */
  remain(): number;
  readonly zeroLength: boolean;
  /** Values copied so far. */
  progress: number;
}
export interface ReadableBuffer extends CopyBuffer {
  read(n: number): Values;
}
export interface WritableBuffer extends CopyBuffer {
  write(values: Values): void;
}

/** `ptr` and `n` elements of guest memory: where `stream.read` puts values, or `stream.write` takes them. */
export class GuestBuffer implements ReadableBuffer, WritableBuffer {
  readonly #cx: LiftLowerContext;
  readonly #codec: ElementCodec;
  readonly #ptr: number;
  readonly #length: number;
  progress = 0;

  constructor(cx: LiftLowerContext, codec: ElementCodec, ptr: number, length: number, what: string) {
    this.#cx = cx;
    this.#codec = codec;
    this.#ptr = ptr >>> 0;
    this.#length = length >>> 0;
    const m = cx.memory;
    if (m !== undefined && this.#length > 0) {
      m.sync();
      const end = this.#ptr + this.#length * codec.size;
      if (this.#ptr % codec.align !== 0)
        trap('misaligned', `${what} at ${this.#ptr} needs alignment ${codec.align}`);
      if (end > m.u8.length) m.require(end, what);
    }
  }

  get zeroLength(): boolean {
    return this.#length === 0;
  }

  remain(): number {
    return this.#length - this.progress;
  }

  read(n: number): Values {
    const { size } = this.#codec;
    const start = this.#ptr + this.progress * size;
    this.progress += n;
    const m = this.#cx.memory;
    if (this.#codec.bytes && m !== undefined) {
      m.sync();
      return m.u8.slice(start, start + n);
    }
    m?.sync();
    const values: unknown[] = [];
    for (let i = 0; i < n; i++) values.push(this.#codec.load(this.#cx, start + i * size));
    return values;
  }

  write(values: Values): void {
    const { size } = this.#codec;
    const start = this.#ptr + this.progress * size;
    this.progress += values.length;
    const m = this.#cx.memory;
    if (this.#codec.bytes && m !== undefined && values instanceof Uint8Array) {
      m.sync();
      m.u8.set(values, start);
      return;
    }
    m?.sync();
    for (let i = 0; i < values.length; i++) this.#codec.store(this.#cx, values[i], start + i * size);
  }
}

/** The host's side of a copy: values it offers (readable) or room for `capacity` values (writable). */
export class HostBuffer implements ReadableBuffer, WritableBuffer {
  readonly #capacity: number;
  #values: Values;
  readonly #chunks: Values[] = [];
  progress = 0;

  private constructor(capacity: number, values: Values) {
    this.#capacity = capacity;
    this.#values = values;
  }

  static offering(values: Values): HostBuffer {
    return new HostBuffer(values.length, values);
  }

  static receiving(capacity: number): HostBuffer {
    return new HostBuffer(capacity, []);
  }

  get zeroLength(): boolean {
    return this.#capacity === 0;
  }

  remain(): number {
    return this.#capacity - this.progress;
  }

  read(n: number): Values {
    const values = this.#values.slice(this.progress, this.progress + n);
    this.progress += n;
    return values;
  }

  write(values: Values): void {
    this.#chunks.push(values);
    this.progress += values.length;
  }

  /** What was written into this buffer, as one batch. */
  received(): Values {
    if (this.#chunks.length === 1) return this.#chunks[0] as Values;
    if (this.#chunks.every((c) => c instanceof Uint8Array))
      return new Uint8Array(Buffer.concat(this.#chunks as Uint8Array[]));
    return this.#chunks.flatMap((c) => Array.from(c));
  }
}

type OnCopy = (reclaim: () => void) => void;
type OnCopyDone = (result: number) => void;

/** A readable end's source: `SharedStream`, or a host-made `HostStream`. */
export interface ReadableStreamSource {
  read(dst: WritableBuffer, onCopy: OnCopy, onCopyDone: OnCopyDone): void;
  cancel(): void;
  drop(): void;
}

/** The two ends of a stream a guest made, meeting on the spec's rendezvous rules. */
export class SharedStream implements ReadableStreamSource {
  #dropped = false;
  #buffer: ReadableBuffer | WritableBuffer | undefined;
  #onCopy: OnCopy | undefined;
  #onCopyDone: OnCopyDone | undefined;

  #set(buffer: ReadableBuffer | WritableBuffer | undefined, onCopy?: OnCopy, onCopyDone?: OnCopyDone) {
    this.#buffer = buffer;
    this.#onCopy = onCopy;
    this.#onCopyDone = onCopyDone;
  }

  #notifyPending(result: number): void {
    const done = this.#onCopyDone;
    this.#set(undefined);
    done?.(result);
  }

  cancel(): void {
    this.#notifyPending(CopyResult.CANCELLED);
  }

  drop(): void {
    if (this.#dropped) return;
    this.#dropped = true;
    if (this.#buffer) this.#notifyPending(CopyResult.DROPPED);
  }

  read(dst: WritableBuffer, onCopy: OnCopy, onCopyDone: OnCopyDone): void {
    if (this.#dropped) {
      onCopyDone(CopyResult.DROPPED);
      return;
    }
    const src = this.#buffer as ReadableBuffer | undefined;
    if (!src) {
      this.#set(dst, onCopy, onCopyDone);
      return;
    }
    if (src.remain() > 0) {
      if (dst.remain() > 0) {
        dst.write(src.read(Math.min(dst.remain(), src.remain())));
        this.#onCopy?.(() => this.#set(undefined));
      }
      onCopyDone(CopyResult.COMPLETED);
    } else {
      this.#notifyPending(CopyResult.COMPLETED);
      this.#set(dst, onCopy, onCopyDone);
    }
  }

  write(src: ReadableBuffer, onCopy: OnCopy, onCopyDone: OnCopyDone): void {
    if (this.#dropped) {
      onCopyDone(CopyResult.DROPPED);
      return;
    }
    const dst = this.#buffer as WritableBuffer | undefined;
    if (!dst) {
      this.#set(src, onCopy, onCopyDone);
      return;
    }
    if (dst.remain() > 0) {
      if (src.remain() > 0) {
        dst.write(src.read(Math.min(dst.remain(), src.remain())));
        this.#onCopy?.(() => this.#set(undefined));
      }
      onCopyDone(CopyResult.COMPLETED);
    } else if (src.zeroLength && dst.zeroLength) onCopyDone(CopyResult.COMPLETED);
    else {
      this.#notifyPending(CopyResult.COMPLETED);
      this.#set(src, onCopy, onCopyDone);
    }
  }
}

/** A readable end of a future: `SharedFuture`, or a host-made `HostFuture`. */
export interface ReadableFutureSource {
  read(dst: WritableBuffer, onCopyDone: OnCopyDone): void;
  cancel(): void;
  drop(): void;
}

/** The two ends of a future a guest made: at most one value goes from the writer to the reader. */
export class SharedFuture implements ReadableFutureSource {
  #dropped = false;
  #buffer: ReadableBuffer | WritableBuffer | undefined;
  #onCopyDone: OnCopyDone | undefined;

  #notifyPending(result: number): void {
    const done = this.#onCopyDone;
    this.#buffer = undefined;
    this.#onCopyDone = undefined;
    done?.(result);
  }

  cancel(): void {
    this.#notifyPending(CopyResult.CANCELLED);
  }

  drop(): void {
    if (this.#dropped) return;
    this.#dropped = true;
    if (this.#buffer) this.#notifyPending(CopyResult.DROPPED);
  }

  read(dst: WritableBuffer, onCopyDone: OnCopyDone): void {
    if (this.#dropped) {
      onCopyDone(CopyResult.DROPPED);
      return;
    }
    const src = this.#buffer as ReadableBuffer | undefined;
    if (!src) {
      this.#buffer = dst;
      this.#onCopyDone = onCopyDone;
      return;
    }
    dst.write(src.read(1));
    this.#notifyPending(CopyResult.COMPLETED);
    onCopyDone(CopyResult.COMPLETED);
  }

  write(src: ReadableBuffer, onCopyDone: OnCopyDone): void {
    if (this.#dropped) {
      onCopyDone(CopyResult.DROPPED);
      return;
    }
    const dst = this.#buffer as WritableBuffer | undefined;
    if (!dst) {
      this.#buffer = src;
      this.#onCopyDone = onCopyDone;
      return;
    }
    dst.write(src.read(1));
    this.#notifyPending(CopyResult.COMPLETED);
    onCopyDone(CopyResult.COMPLETED);
  }
}

/** What the host holds after a guest handed it the readable end of a `stream<T>`. */
export class StreamReader {
  readonly #source: ReadableStreamSource;
  #ended = false;

  constructor(source: ReadableStreamSource) {
    this.#source = source;
  }

  /** The readable end itself, to hand on to another guest unread (a middleware's body). */
  get source(): ReadableStreamSource {
    return this.#source;
  }

  /** Up to `max` values as soon as there are some; undefined once the writer has dropped its end. */
  read(max = 65536): Promise<Values | undefined> {
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const buffer = HostBuffer.receiving(max);
      let settled = false;
      const settle = (ended: boolean) => {
        if (settled) return;
        settled = true;
        if (ended && buffer.progress === 0) {
          this.#ended = true;
          resolve(undefined);
        } else resolve(buffer.received());
      };
      this.#source.read(
        buffer,
        (reclaim) => {
          reclaim();
          settle(false);
        },
        (result) => settle(result === CopyResult.DROPPED),
      );
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Values> {
    for (;;) {
      const values = await this.read();
      if (values === undefined) return;
      if (values.length > 0) yield values;
    }
  }

  /** The host is done reading: the writer's next write sees DROPPED. */
  close(): void {
    this.#ended = true;
    this.#source.drop();
  }
}

/** What the host holds after a guest handed it the readable end of a `future<T>`. */
export class FutureReader {
  readonly #source: ReadableFutureSource;

  constructor(source: ReadableFutureSource) {
    this.#source = source;
  }

  /** The value, or `{ dropped: true }` when the writer dropped its end without writing. */
  read(): Promise<{ value: unknown } | { dropped: true }> {
    return new Promise((resolve) => {
      const buffer = HostBuffer.receiving(1);
      this.#source.read(buffer, (result) => {
        if (result === CopyResult.COMPLETED && buffer.progress === 1)
          resolve({ value: (buffer.received() as unknown[])[0] });
        else resolve({ dropped: true });
      });
    });
  }

  close(): void {
    this.#source.drop();
  }
}

/**
 * A stream the host makes for a guest to read (stdin, a body): values are pulled from `next`
 * one batch at a time; a batch larger than the guest's buffer is kept for the next read.
 */
export class HostStream implements ReadableStreamSource {
  readonly #next: () => Promise<Values | undefined>;
  readonly #onDrop: (() => void) | undefined;
  #left: Values | undefined;
  #ended = false;
  #pending: OnCopyDone | undefined;

  constructor(next: () => Promise<Values | undefined>, onDrop?: () => void) {
    this.#next = next;
    this.#onDrop = onDrop;
  }

  read(dst: WritableBuffer, _onCopy: OnCopy, onCopyDone: OnCopyDone): void {
    if (this.#ended) {
      onCopyDone(CopyResult.DROPPED);
      return;
    }
    if (this.#left !== undefined) {
      this.#deliver(dst, onCopyDone);
      return;
    }
    this.#pending = onCopyDone;
    this.#next().then(
      (values) => {
        if (this.#pending !== onCopyDone) return;
        this.#pending = undefined;
        if (values === undefined) {
          this.#ended = true;
          onCopyDone(CopyResult.DROPPED);
        } else {
          this.#left = values;
          this.#deliver(dst, onCopyDone);
        }
      },
      () => {
        if (this.#pending !== onCopyDone) return;
        this.#pending = undefined;
        this.#ended = true;
        onCopyDone(CopyResult.DROPPED);
      },
    );
  }

  #deliver(dst: WritableBuffer, onCopyDone: OnCopyDone): void {
    const left = this.#left as Values;
    const n = Math.min(dst.remain(), left.length);
    if (n > 0) dst.write(left.slice(0, n));
    this.#left = n < left.length ? left.slice(n) : undefined;
    onCopyDone(CopyResult.COMPLETED);
  }

  cancel(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(CopyResult.CANCELLED);
  }

  drop(): void {
    this.#ended = true;
    this.#onDrop?.();
  }
}

/** A future the host makes for a guest to read: it resolves with `value`. */
export class HostFuture implements ReadableFutureSource {
  readonly #value: Promise<unknown>;
  #pending: OnCopyDone | undefined;
  #done = false;

  constructor(value: Promise<unknown>) {
    this.#value = value;
  }

  read(dst: WritableBuffer, onCopyDone: OnCopyDone): void {
    if (this.#done) {
      onCopyDone(CopyResult.DROPPED);
      return;
    }
    this.#pending = onCopyDone;
    this.#value.then((value) => {
      if (this.#pending !== onCopyDone) return;
      this.#pending = undefined;
      this.#done = true;
      dst.write([value]);
      onCopyDone(CopyResult.COMPLETED);
    });
  }

  cancel(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(CopyResult.CANCELLED);
  }

  drop(): void {
    this.#pending = undefined;
    this.#done = true;
  }
}
