/**
 * Byte streams over an open file, directory listings, and the error code behind a failed stream.
 * File I/O runs in libuv's thread pool, never on the event loop, as wasmtime's file streams do:
 * - a read stream's non-blocking `read` hands out what a read in the background brought in, and
 *   when it has nothing starts such a read and returns no bytes for now; `blocking-read` and a
 *   pollable's wait suspend the guest until that read is done. A read takes at least 64 KiB, and
 *   twice the last while the guest reads on from where it left off, up to 1 MiB (a thread-pool
 *   round trip costs tens of µs, and 8 KiB reads would pay it on every call); the part beyond what
 *   the guest asked for is handed out later only if no write to any file went through this host
 *   since the read began, else it is read again;
 * - a write stream's `write` queues the bytes (up to check-write's window) and returns; they go
 *   out in order in the background, `flush` waits for them, and so does every other operation on
 *   the descriptor, so the guest always reads back what it wrote.
 */
import type { Dir, Dirent } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { IoError } from '../io/error.ts';
import { type ByteSink, type ByteSource, InputStream, StreamFailure } from '../io/streams.ts';
import { GuestContractError } from '../result-error.ts';
import { type ErrorCode, errorCodeOf, fsError, translatedAsync } from './errors.ts';
import { fileWrites, fstatBig, type HostFd, readAt, writevAllAt } from './host-fd.ts';
import { type DescriptorType, descriptorTypeOf } from './metadata.ts';

/** Bytes a stream's writes may have queued before check-write asks the guest to wait. */
const FILE_SINK_WINDOW = 1 << 20;
/** The largest read a stream makes in one go (a guest asking for more gets this much). */
const MAX_STREAM_READ = 1 << 20;
/** The least a read stream reads in one go (and what a guest reading from the start gets read ahead). */
const READ_AHEAD = 64 * 1024;

function streamFailure(e: unknown): StreamFailure {
  const message = e instanceof Error ? e.message : String(e);
  return new StreamFailure(message, { filesystem: errorCodeOf(e) ?? 'io' });
}

/** `filesystem-error-code`: the code of a stream error raised by a file stream, else none. */
export function filesystemErrorCode(error: unknown): ErrorCode | undefined {
  return error instanceof IoError ? (error.codes.filesystem as ErrorCode | undefined) : undefined;
}

type ReadState =
  | { tag: 'idle' }
  | { tag: 'reading'; done: Promise<void> }
  /** `served`: a read took some already; `writes`: fileWrites when the read started. */
  | { tag: 'data'; bytes: Uint8Array; served: boolean; writes: number }
  | { tag: 'failed'; failure: StreamFailure }
  | { tag: 'eof' };

const NOTHING_YET = new Uint8Array(0);

/** The source behind a file's read stream: one read at a time in the background, at `position`. */
class FileSource implements ByteSource {
  readonly #file: HostFd;
  #position: bigint;
  #state: ReadState = { tag: 'idle' };
  #closed = false;
  /** How much the next read takes at least: doubles while the guest uses up every read. */
  #window = READ_AHEAD;
  /** The guest took all of the last read's bytes (a sequential reader). */
  #usedUp = false;

  constructor(file: HostFd, offset: bigint) {
    this.#file = file;
    this.#position = offset;
  }

  read(max: number): Uint8Array | 'eof' {
    this.#dropStale();
    const state = this.#state;
    switch (state.tag) {
      case 'idle':
        this.#start(max);
        return NOTHING_YET;
      case 'reading':
        return NOTHING_YET;
      case 'data': {
        const chunk = state.bytes.subarray(0, max);
        const rest = state.bytes.subarray(chunk.length);
        this.#state = rest.length > 0 ? { ...state, bytes: rest, served: true } : { tag: 'idle' };
        this.#usedUp = rest.length === 0;
        this.#position += BigInt(chunk.length);
        return chunk;
      }
      case 'failed':
        this.#state = { tag: 'eof' };
        throw state.failure;
      case 'eof':
        return 'eof';
    }
  }

  isReadable(): boolean {
    this.#dropStale();
    return this.#state.tag !== 'idle' && this.#state.tag !== 'reading';
  }

  whenReadable(): Promise<void> {
    return this.prepare(0);
  }

  /** Starts a read of up to `size` bytes unless one is under way or done; resolves when it is. */
  prepare(size: number): Promise<void> {
    this.#dropStale();
    if (this.#state.tag === 'idle') this.#start(size);
    return this.#state.tag === 'reading' ? this.#state.done : Promise.resolve();
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Bytes read ahead are the file as it was: once any write went through this host since, what
   * the guest has not yet asked for is read again. (What a read brought in for the guest's own
   * request is handed out, as wasmtime does.)
   */
  #dropStale(): void {
    const state = this.#state;
    if (state.tag === 'data' && state.served && state.writes !== fileWrites) {
      this.#state = { tag: 'idle' };
      this.#usedUp = false;
    }
  }

  #start(size: number): void {
    const at = this.#position;
    this.#window = this.#usedUp ? Math.min(this.#window * 2, MAX_STREAM_READ) : READ_AHEAD;
    this.#usedUp = false;
    const length = Math.min(Math.max(size, this.#window), MAX_STREAM_READ);
    const writes = fileWrites;
    const done = (async () => {
      let next: ReadState;
      try {
        const bytes = await this.#file.use((fd) => readAt(fd, length, at));
        next = bytes.length === 0 ? { tag: 'eof' } : { tag: 'data', bytes, served: false, writes };
      } catch (e) {
        next = { tag: 'failed', failure: streamFailure(e) };
      }
      if (!this.#closed) this.#state = next;
    })();
    this.#state = { tag: 'reading', done };
  }
}

/** A file's read stream: `blocking-read` reads as much as the guest asks for (up to 1 MiB) at once. */
class FileInputStream extends InputStream {
  readonly #source: FileSource;
  constructor(source: FileSource) {
    super(source);
    this.#source = source;
  }

  override async blockingRead(len: bigint): Promise<Uint8Array> {
    if (len > 0n) await this.#source.prepare(Number(len > BigInt(MAX_STREAM_READ) ? MAX_STREAM_READ : len));
    return super.blockingRead(len);
  }
}

/** Reads `file` from `offset` on; the host fd stays owned by the descriptor. */
export function fileInputStream(file: HostFd, offset: bigint): InputStream {
  return new FileInputStream(new FileSource(file, offset));
}

/** Writes to `file` at `offset` onwards, or at the end of the file each time for `append`. */
export function fileSink(file: HostFd, offset: bigint | 'append'): ByteSink {
  let position = offset;
  let queued: Uint8Array[] = [];
  /** Bytes written by the guest and not yet on the file (queued or being written). */
  let pending = 0;
  let writing: Promise<void> | undefined;
  let failure: StreamFailure | undefined;

  const drain = async (): Promise<void> => {
    while (queued.length > 0 && !failure) {
      const batch = queued;
      queued = [];
      const size = batch.reduce((n, chunk) => n + chunk.length, 0);
      try {
        await file.use(async (fd) => {
          const at = position === 'append' ? (await fstatBig(fd)).size : position;
          await writevAllAt(fd, batch, at);
        }, false);
        if (position !== 'append') position += BigInt(size);
      } catch (e) {
        failure = streamFailure(e);
      }
      pending -= size;
    }
    queued = [];
    pending = 0;
    writing = undefined;
  };

  return {
    capacity() {
      if (failure) throw failure;
      return FILE_SINK_WINDOW - pending;
    },
    write(bytes) {
      if (failure) throw failure;
      if (bytes.length > FILE_SINK_WINDOW - pending)
        throw new GuestContractError(
          `write of ${bytes.length} bytes to a file stream that permits ${FILE_SINK_WINDOW - pending} (check-write)`,
        );
      try {
        file.check();
      } catch (e) {
        throw streamFailure(e);
      }
      queued.push(bytes);
      pending += bytes.length;
      if (!writing) {
        writing = drain();
        file.trackStreamWrite(writing);
      }
    },
    whenWritable: () => writing ?? Promise.resolve(),
    flush() {
      if (!writing) return failure ? Promise.reject(failure) : undefined;
      return writing.then(() => {
        if (failure) throw failure;
      });
    },
  };
}

export interface DirectoryEntry {
  type: DescriptorType;
  name: string;
}

/** `directory-entry-stream`: entries of one folder, read lazily; `.` and `..` are never listed. */
export class DirectoryEntryStream {
  readonly #dir: Dir | undefined;
  readonly #path: string;
  #pending: DirectoryEntry[];
  #closed = false;
  /** Keeps the folder's fd (and so `#path` under /proc) meaning this folder while the listing lives. */
  readonly #releaseFolder: () => void;
  readonly #onClose: (stream: DirectoryEntryStream) => void;

  /** @internal `dir` undefined lists just `fixed` (a single-file mount's folder). */
  constructor(
    dir: Dir | undefined,
    path: string,
    fixed: DirectoryEntry[],
    folder: HostFd,
    onClose: (s: DirectoryEntryStream) => void,
  ) {
    this.#dir = dir;
    this.#path = path;
    this.#pending = fixed;
    this.#releaseFolder = folder.retain();
    this.#onClose = onClose;
  }

  async readDirectoryEntry(): Promise<DirectoryEntry | undefined> {
    if (this.#closed) throw fsError('bad-descriptor');
    const next = this.#pending.shift();
    if (next || !this.#dir) return next;
    const dir = this.#dir;
    return translatedAsync(async () => {
      const entry: Dirent | null = await dir.read();
      if (!entry) return undefined;
      const type = descriptorTypeOf(entry);
      // Some filesystems do not report entry types in readdir; ask the entry itself then.
      if (type === 'unknown') {
        const stat = await lstat(join(this.#path, entry.name)).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        });
        return { type: stat ? descriptorTypeOf(stat) : type, name: entry.name };
      }
      return { type, name: entry.name };
    });
  }

  /** @internal */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    // A read still under way finishes first (Node queues the close behind it).
    this.#dir?.close().catch(() => {});
    this.#releaseFolder();
  }

  [Symbol.dispose](): void {
    this.close();
    this.#onClose(this);
  }
}
