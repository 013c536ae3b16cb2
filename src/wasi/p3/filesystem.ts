/**
 * `wasi:filesystem/{types,preopens}@0.3`: a thin adapter over the 0.2 host (src/wasi/filesystem/).
 * Every 0.3 descriptor wraps a 0.2 descriptor of the same instance, and every call goes through
 * it, so the sandbox (path resolution, symlink and `..` confinement, read-only mounts) and the
 * instance's open handles are the 0.2 host's own. What is new here is only the 0.3 surface:
 * - error codes and descriptor types are variants (`{ tag }`, with `other(option<string>)`);
 * - byte streams are `stream<u8>` plus a future of how they ended, over the 0.2 pread/pwrite;
 * - `read-directory` is a `stream<directory-entry>` plus a future, over the 0.2 listing;
 * - `open-at` settles the descriptor flags the way 0.3 hosts report them (no access asked: read;
 *   `create`/`truncate`: write).
 * The `async func`s answer at once: the 0.2 calls are synchronous, and the async ABI takes a
 * value (or a synchronous throw) as a subtask that returned straight away.
 */
import { HostFuture, HostStream, type StreamReader } from '../../engine/binding/canonical-abi/streams.ts';
import { ResultError } from '../result-error.ts';
import type {
  Advice,
  DescriptorFlags,
  DescriptorType,
  ErrorCode,
  MetadataHashValue,
  NewTimestamp,
  OpenFlags,
  PathFlags,
  Descriptor as V2Descriptor,
  DirectoryEntryStream as V2DirectoryEntryStream,
  WasiFilesystemPreopens as V2Preopens,
} from '../shapes/filesystem.ts';
import type {
  DescriptorStatP3,
  DescriptorTypeP3,
  DirectoryEntryP3,
  ErrorCodeP3,
  WasiFilesystemPreopensP3,
  WasiFilesystemTypesP3,
} from '../shapes/p3.ts';

/** `result<_, error-code>`, what the futures of the stream functions carry. */
export type Outcome = { tag: 'ok' } | { tag: 'err'; val: ErrorCodeP3 };

/** Bytes pulled from the file per read of the stream (the guest's buffer may take less). */
const READ_CHUNK = 64n * 1024n;
/** Directory entries pulled per read of the listing stream. */
const ENTRY_BATCH = 64;
/** `filesize` is u64, a file offset an off_t: anything above is not an offset at all. */
const MAX_OFFSET = (1n << 63n) - 1n;
/** Node takes write offsets and sizes as numbers: beyond this no file system goes anyway. */
const MAX_NODE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

/** The error a 0.3 function throws (or its promise rejects with) to return `err(code)`. */
export class FilesystemErrorP3 extends ResultError<ErrorCodeP3> {
  override name = 'FilesystemErrorP3';
}

/** 0.2's codes as the 0.3 variant; 0.3 dropped `would-block`, which only `other` can still say. */
export function errorCodeP3(code: ErrorCode): ErrorCodeP3 {
  return code === 'would-block' ? { tag: 'other', val: code } : { tag: code };
}

const fail = (code: Exclude<ErrorCode, 'would-block'>, message?: string) =>
  new FilesystemErrorP3({ tag: code }, message);

/** The 0.3 code of an `err` the 0.2 host returned; undefined for anything else (a host bug). */
function codeOf(e: unknown): ErrorCodeP3 | undefined {
  if (e instanceof FilesystemErrorP3) return e.payload;
  if (e instanceof ResultError && typeof e.payload === 'string') return errorCodeP3(e.payload as ErrorCode);
  return undefined;
}

/** Runs a 0.2 call and re-throws its `err(code)` as the 0.3 variant; anything else still traps. */
function adapted<T>(operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    const code = codeOf(e);
    if (code === undefined || e instanceof FilesystemErrorP3) throw e;
    throw new FilesystemErrorP3(code, (e as Error).message);
  }
}

/**
 * Runs a 0.2 call for a stream function: its `err` becomes the outcome instead of a throw. Where
 * the call runs inside the guest's call, anything else still traps (`bug: 'throw'`); once the
 * stream runs on its own there is no call left to trap, and the outcome says `io` (`bug: 'io'`).
 */
function attempt(operation: () => void, bug: 'throw' | 'io' = 'throw'): Outcome {
  try {
    operation();
    return { tag: 'ok' };
  } catch (e) {
    const code = codeOf(e) ?? (bug === 'io' ? { tag: 'io' } : undefined);
    if (code === undefined) throw e;
    return { tag: 'err', val: code };
  }
}

export function descriptorTypeP3(type: DescriptorType): DescriptorTypeP3 {
  return type === 'unknown' ? { tag: 'other', val: undefined } : { tag: type };
}

/** An offset the guest passed; the 0.2 host takes offsets Node can use, never u64's upper half. */
function checkOffset(offset: bigint): void {
  if (offset < 0n || offset > MAX_OFFSET) throw fail('invalid', 'the offset is beyond any file');
}

/** A write that ends at `end`: past what Node can address, no file system would hold it either. */
function checkEnd(end: bigint): void {
  if (end > MAX_NODE_OFFSET) throw fail('file-too-large');
}

/** `open-at`'s descriptor flags as 0.3 reports them back: no access asked is read, and creating or truncating writes. */
function settledFlags(openFlags: OpenFlags, flags: DescriptorFlags): DescriptorFlags {
  const settled = { ...flags };
  if (!settled.read && !settled.write) settled.read = true;
  if (openFlags.create || openFlags.truncate) settled.write = true;
  return settled;
}

/** The path names a folder it walked through (`.`, `x/..`): such a path is never a file to unlink. */
const namesWalkedFolder = (path: string): boolean => !path.includes('\0') && /(^|\/)\.\.?\/*$/.test(path);

/** A stream the guest reads and the future of how it ended; `onDrop` runs when the guest drops the stream. */
function pulled(
  next: () => Uint8Array | unknown[] | undefined,
  onEnd: () => void = () => {},
): [HostStream, HostFuture] {
  const ended = Promise.withResolvers<Outcome>();
  let done = false;
  const finish = (outcome: Outcome) => {
    if (done) return;
    done = true;
    onEnd();
    ended.resolve(outcome);
  };
  const stream = new HostStream(
    async () => {
      if (done) return undefined;
      let values: Uint8Array | unknown[] | undefined;
      const outcome = attempt(() => {
        values = next();
      }, 'io');
      if (outcome.tag === 'err' || values === undefined) {
        finish(outcome);
        return undefined;
      }
      return values;
    },
    // A reader that stops early has not met an error.
    () => finish({ tag: 'ok' }),
  );
  return [stream, new HostFuture(ended.promise)];
}

/** An ended stream with its outcome, for a stream function that failed before it began. */
function failedStream(outcome: Outcome): [HostStream, HostFuture] {
  return [new HostStream(async () => undefined), new HostFuture(Promise.resolve(outcome))];
}

/** Writes what the guest sends on `data` with `write(chunk)`; the first failure ends it. */
async function pumpInto(data: StreamReader, write: (chunk: Uint8Array) => void): Promise<Outcome> {
  for await (const chunk of data) {
    const outcome = attempt(() => write(chunk as Uint8Array), 'io');
    if (outcome.tag === 'err') {
      // The guest's next write sees the stream dropped.
      data.close();
      return outcome;
    }
  }
  return { tag: 'ok' };
}

export class Descriptor {
  readonly #inner: V2Descriptor;

  /** @internal Wraps (and owns) a 0.2 descriptor of the same instance. */
  constructor(inner: V2Descriptor) {
    this.#inner = inner;
  }

  readViaStream(offset: bigint): [HostStream, HostFuture] {
    const inner = this.#inner;
    // A zero-length read makes the 0.2 host check the descriptor (a readable file) up front.
    const checked = attempt(() => {
      checkOffset(offset);
      inner.read(0n, offset);
    });
    if (checked.tag === 'err') return failedStream(checked);
    let position = offset;
    return pulled(() => {
      const [bytes] = inner.read(READ_CHUNK, position);
      if (bytes.length === 0) return undefined;
      position += BigInt(bytes.length);
      return bytes;
    });
  }

  writeViaStream(data: StreamReader, offset: bigint): HostFuture {
    const inner = this.#inner;
    let position = offset;
    return this.#writing(data, (chunk) => {
      checkEnd(position + BigInt(chunk.length));
      inner.write(chunk, position);
      position += BigInt(chunk.length);
    });
  }

  appendViaStream(data: StreamReader): HostFuture {
    const inner = this.#inner;
    return this.#writing(data, (chunk) => {
      // As 0.2's append stream: each write lands at the end the file has then.
      const end = inner.stat().size;
      checkEnd(end + BigInt(chunk.length));
      inner.write(chunk, end);
    });
  }

  /** The future of a write stream: the descriptor checked first, then every chunk written in order. */
  #writing(data: StreamReader, write: (chunk: Uint8Array) => void): HostFuture {
    const checked = attempt(() => this.#inner.write(new Uint8Array(0), 0n));
    if (checked.tag === 'err') {
      data.close();
      return new HostFuture(Promise.resolve(checked));
    }
    return new HostFuture(pumpInto(data, write));
  }

  advise(offset: bigint, length: bigint, advice: Advice): void {
    adapted(() => this.#inner.advise(offset, length, advice));
  }

  syncData(): void {
    adapted(() => this.#inner.syncData());
  }

  sync(): void {
    adapted(() => this.#inner.sync());
  }

  getFlags(): DescriptorFlags {
    return adapted(() => this.#inner.getFlags());
  }

  getType(): DescriptorTypeP3 {
    return descriptorTypeP3(adapted(() => this.#inner.getType()));
  }

  setSize(size: bigint): void {
    adapted(() => {
      if (size > MAX_OFFSET) throw fail('invalid', 'the size is beyond any file');
      checkEnd(size);
      this.#inner.setSize(size);
    });
  }

  setTimes(dataAccess: NewTimestamp, dataModification: NewTimestamp): void {
    adapted(() => this.#inner.setTimes(dataAccess, dataModification));
  }

  readDirectory(): [HostStream, HostFuture] {
    let listing: V2DirectoryEntryStream;
    const opened = attempt(() => {
      listing = this.#inner.readDirectory();
    });
    if (opened.tag === 'err') return failedStream(opened);
    const close = () => (listing as Partial<Disposable>)[Symbol.dispose]?.();
    return pulled(() => {
      const batch: DirectoryEntryP3[] = [];
      while (batch.length < ENTRY_BATCH) {
        const entry = listing.readDirectoryEntry();
        if (entry === undefined) break;
        batch.push({ type: descriptorTypeP3(entry.type), name: entry.name });
      }
      return batch.length > 0 ? batch : undefined;
    }, close);
  }

  createDirectoryAt(path: string): void {
    adapted(() => this.#inner.createDirectoryAt(path));
  }

  stat(): DescriptorStatP3 {
    return statP3(adapted(() => this.#inner.stat()));
  }

  statAt(pathFlags: PathFlags, path: string): DescriptorStatP3 {
    return statP3(adapted(() => this.#inner.statAt(pathFlags, path)));
  }

  setTimesAt(
    pathFlags: PathFlags,
    path: string,
    dataAccess: NewTimestamp,
    dataModification: NewTimestamp,
  ): void {
    adapted(() => this.#inner.setTimesAt(pathFlags, path, dataAccess, dataModification));
  }

  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    adapted(() => this.#inner.linkAt(oldPathFlags, oldPath, newDescriptor.#inner, newPath));
  }

  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    const flagsP3 = settledFlags(openFlags, flags);
    return new Descriptor(adapted(() => this.#inner.openAt(pathFlags, path, openFlags, flagsP3)));
  }

  readlinkAt(path: string): string {
    return adapted(() => this.#inner.readlinkAt(path));
  }

  removeDirectoryAt(path: string): void {
    adapted(() => this.#inner.removeDirectoryAt(path));
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    adapted(() => this.#inner.renameAt(oldPath, newDescriptor.#inner, newPath));
  }

  symlinkAt(oldPath: string, newPath: string): void {
    adapted(() => this.#inner.symlinkAt(oldPath, newPath));
  }

  unlinkFileAt(path: string): void {
    adapted(() => {
      try {
        this.#inner.unlinkFileAt(path);
      } catch (e) {
        // 0.2 answers `invalid` for `.`; 0.3 hosts answer as unlink(2) does for a folder.
        if (codeOf(e)?.tag === 'invalid' && namesWalkedFolder(path)) throw fail('is-directory');
        throw e;
      }
    });
  }

  isSameObject(other: Descriptor): boolean {
    try {
      return this.#inner.isSameObject(other.#inner);
    } catch (e) {
      // No `err` case here: a descriptor the host cannot stat any more is the same as nothing.
      if (codeOf(e) !== undefined) return false;
      throw e;
    }
  }

  metadataHash(): MetadataHashValue {
    return adapted(() => this.#inner.metadataHash());
  }

  metadataHashAt(pathFlags: PathFlags, path: string): MetadataHashValue {
    return adapted(() => this.#inner.metadataHashAt(pathFlags, path));
  }

  [Symbol.dispose](): void {
    (this.#inner as Partial<Disposable>)[Symbol.dispose]?.();
  }
}

function statP3(stat: ReturnType<V2Descriptor['stat']>): DescriptorStatP3 {
  return { ...stat, type: descriptorTypeP3(stat.type) };
}

export interface FilesystemImportsP3 {
  types: WasiFilesystemTypesP3;
  preopens: WasiFilesystemPreopensP3;
}

/**
 * The 0.3 interfaces over an instance's 0.2 preopens (`filesystemImports(...).preopens`): the
 * same mounts, and descriptors the instance's dispose closes with the 0.2 ones.
 */
export function filesystemImportsP3(preopens: V2Preopens): FilesystemImportsP3 {
  return {
    types: { Descriptor },
    preopens: {
      getDirectories: (): Array<[Descriptor, string]> =>
        preopens.getDirectories().map(([descriptor, path]) => [new Descriptor(descriptor), path]),
    },
  };
}
