/**
 * A host fd that file I/O runs on in libuv's thread pool, off the event loop. While an operation is
 * in flight the fd stays open, even if the guest drops its descriptor or the instance ends: closing
 * it then would let the next open() reuse the number, and the late read or write would land on
 * another guest's file.
 */
import {
  type BigIntStats,
  close,
  constants,
  fdatasync,
  fstat,
  fsync,
  ftruncate,
  open,
  read,
  type Stats,
  write,
  writev,
} from 'node:fs';
import { fsError } from './errors.ts';

export class HostFd {
  readonly #fd: number;
  /** Operations running on the fd, and readers holding it (a directory listing). */
  #users = 0;
  #closing = false;
  /** Writes of output streams still under way: other operations on the fd wait for them first. */
  readonly #streamWrites = new Set<Promise<void>>();

  /** Takes ownership of `fd`. */
  constructor(fd: number) {
    this.#fd = fd;
  }

  /** False once the descriptor was dropped or the instance ended. */
  get isOpen(): boolean {
    return !this.#closing;
  }

  /** Throws bad-descriptor once the fd is closed (or closing). */
  check(): void {
    if (this.#closing) throw fsError('bad-descriptor');
  }

  /**
   * Runs `op` on the fd, after any stream write still in flight (so the guest reads what it wrote,
   * and sync never overtakes data), and keeps the fd open until it settles. A stream's own writes
   * pass `afterStreamWrites` false: they are what the others wait for.
   */
  async use<T>(op: (fd: number) => Promise<T>, afterStreamWrites = true): Promise<T> {
    const release = this.retain();
    try {
      while (afterStreamWrites && this.#streamWrites.size > 0) await Promise.all(this.#streamWrites);
      return await op(this.#fd);
    } finally {
      release();
    }
  }

  /** Holds the fd open until the returned function is called; throws bad-descriptor once closed. */
  retain(): () => void {
    this.check();
    this.#users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#users === 0 && this.#closing) this.#release();
    };
  }

  /** A stream's write under way (it must never reject): later operations wait for it. */
  trackStreamWrite(done: Promise<void>): void {
    this.#streamWrites.add(done);
    void done.finally(() => this.#streamWrites.delete(done));
  }

  /** Closes the fd now, or once the last operation on it settles. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#users === 0) this.#release();
  }

  #release(): void {
    // Closing can only fail for an fd that is already gone; nothing is left to release.
    close(this.#fd, () => {});
  }
}

/**
 * Bumped when a write to any file through this host starts and when it ends: bytes a read stream
 * read ahead before a change (file-io.ts) are not handed out after it.
 */
export let fileWrites = 0;
const wrote = () => {
  fileWrites++;
};

/** Node's callback fs calls as promises (fs/promises has no fd-number variants). */
const settle =
  <T>(resolve: (value: T) => void, reject: (e: unknown) => void) =>
  (e: NodeJS.ErrnoException | null, value: T) =>
    e ? reject(e) : resolve(value);

export const preadAt = (fd: number, buffer: Uint8Array, length: number, position: bigint): Promise<number> =>
  new Promise((resolve, reject) => read(fd, buffer, 0, length, position, settle(resolve, reject)));

export const fstatBig = (fd: number): Promise<BigIntStats> =>
  new Promise((resolve, reject) => fstat(fd, { bigint: true }, settle<BigIntStats>(resolve, reject)));

export const fstatPlain = (fd: number): Promise<Stats> =>
  new Promise((resolve, reject) => fstat(fd, settle<Stats>(resolve, reject)));

export const fsyncFd = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));

export const fdatasyncFd = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));

export const ftruncateFd = (fd: number, size: number): Promise<void> => {
  wrote();
  return new Promise<void>((resolve, reject) =>
    ftruncate(fd, size, (e) => (e ? reject(e) : resolve())),
  ).finally(wrote);
};

export const closeFd = (fd: number): void => close(fd, () => {});

/** open(2), giving the fd number (fs/promises would wrap it in a FileHandle that closes on GC). */
export const openPath = (path: string, flags: number, mode: number): Promise<number> => {
  // O_TRUNC changes the file as a write does.
  if (flags & constants.O_TRUNC) wrote();
  return new Promise<number>((resolve, reject) => open(path, flags, mode, settle(resolve, reject))).finally(
    () => {
      if (flags & constants.O_TRUNC) wrote();
    },
  );
};

/** Reads up to `max` bytes at `position`: fewer only at the end of the file. */
export async function readAt(fd: number, max: number, position: bigint): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafe(max);
  const count = await preadAt(fd, buffer, max, position);
  return buffer.subarray(0, count);
}

/** pwrite until every byte is on the file (a short write is legal). */
export async function writeAllAt(fd: number, bytes: Uint8Array, at: bigint): Promise<void> {
  let done = 0;
  wrote();
  try {
    while (done < bytes.length) {
      done += await new Promise<number>((resolve, reject) =>
        write(fd, bytes, done, bytes.length - done, Number(at) + done, settle(resolve, reject)),
      );
    }
  } finally {
    wrote();
  }
}

/** pwritev of several buffers in order, until every byte is on the file. */
export async function writevAllAt(fd: number, chunks: Uint8Array[], at: bigint): Promise<number> {
  const rest = chunks.filter((c) => c.length > 0);
  const total = rest.reduce((n, c) => n + c.length, 0);
  wrote();
  try {
    await writevRest(fd, rest, Number(at));
  } finally {
    wrote();
  }
  return total;
}

async function writevRest(fd: number, chunks: Uint8Array[], at: number): Promise<void> {
  let rest = chunks;
  let position = at;
  while (rest.length > 0) {
    let written = await new Promise<number>((resolve, reject) =>
      writev(fd, rest, position, settle(resolve, reject)),
    );
    position += written;
    // Drop what went out; a short write leaves the rest of a buffer for the next round.
    while (rest.length > 0 && written >= (rest[0] as Uint8Array).length) {
      written -= (rest[0] as Uint8Array).length;
      rest = rest.slice(1);
    }
    if (written > 0 && rest.length > 0) rest = [(rest[0] as Uint8Array).subarray(written), ...rest.slice(1)];
  }
}
