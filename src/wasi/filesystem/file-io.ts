/** Byte streams over an open file, directory listings, and the error code behind a failed stream. */
import { type Dir, type Dirent, fstatSync, lstatSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IoError } from '../io/error.ts';
import { type ByteSink, type ByteSource, StreamFailure } from '../io/streams.ts';
import { type ErrorCode, errorCodeOf, translated } from './errors.ts';
import { type DescriptorType, descriptorTypeOf } from './metadata.ts';

/** What one sink write may take before check-write asks the guest to wait (writes are synchronous). */
const FILE_SINK_WINDOW = 1 << 20;

function streamFailure(e: unknown): StreamFailure {
  const message = e instanceof Error ? e.message : String(e);
  return new StreamFailure(message, { filesystem: errorCodeOf(e) ?? 'io' });
}

/** `filesystem-error-code`: the code of a stream error raised by a file stream, else none. */
export function filesystemErrorCode(error: unknown): ErrorCode | undefined {
  return error instanceof IoError ? (error.codes.filesystem as ErrorCode | undefined) : undefined;
}

/** Reads `fd` from `offset` on; the host fd stays owned by the descriptor. */
export function fileSource(fd: () => number, offset: bigint): ByteSource {
  let position = offset;
  return {
    read(max) {
      const buffer = Buffer.alloc(max);
      let count: number;
      try {
        count = readSync(fd(), buffer, 0, max, position);
      } catch (e) {
        throw streamFailure(e);
      }
      if (count === 0) return 'eof';
      position += BigInt(count);
      return buffer.subarray(0, count);
    },
    isReadable: () => true,
    whenReadable: () => Promise.resolve(),
  };
}

/** Writes to `fd` at `offset` onwards, or at the end of the file each time for `append`. */
export function fileSink(fd: () => number, offset: bigint | 'append'): ByteSink {
  let position = offset;
  return {
    capacity: () => FILE_SINK_WINDOW,
    write(bytes) {
      try {
        const handle = fd();
        const at = position === 'append' ? fstatSync(handle, { bigint: true }).size : position;
        writeAll(handle, bytes, at);
        if (position !== 'append') position += BigInt(bytes.length);
      } catch (e) {
        throw streamFailure(e);
      }
    },
    whenWritable: () => Promise.resolve(),
  };
}

/** pwrite until every byte is on the file (a short write is legal for writeSync). */
export function writeAll(fd: number, bytes: Uint8Array, at: bigint): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, bytes.length - done, Number(at) + done);
  }
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
  readonly #onClose: (stream: DirectoryEntryStream) => void;

  /** @internal `dir` undefined lists just `fixed` (a single-file mount's folder). */
  constructor(
    dir: Dir | undefined,
    path: string,
    fixed: DirectoryEntry[],
    onClose: (s: DirectoryEntryStream) => void,
  ) {
    this.#dir = dir;
    this.#path = path;
    this.#pending = fixed;
    this.#onClose = onClose;
  }

  readDirectoryEntry(): DirectoryEntry | undefined {
    const next = this.#pending.shift();
    if (next || !this.#dir) return next;
    return translated(() => {
      const entry: Dirent | null = (this.#dir as Dir).readSync();
      if (!entry) return undefined;
      const type = descriptorTypeOf(entry);
      // Some filesystems do not report entry types in readdir; ask the entry itself then.
      if (type === 'unknown') {
        const stat = lstatSync(join(this.#path, entry.name), { throwIfNoEntry: false });
        return { type: stat ? descriptorTypeOf(stat) : type, name: entry.name };
      }
      return { type, name: entry.name };
    });
  }

  /** @internal */
  close(): void {
    this.#pending = [];
    try {
      this.#dir?.closeSync();
    } catch {
      // Already closed.
    }
  }

  [Symbol.dispose](): void {
    this.close();
    this.#onClose(this);
  }
}
