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
 * The `async func`s that reach the file system return the 0.2 host's promises: the subtask stays
 * pending while the thread pool works, and the guest (or its other tasks) go on meanwhile. Those
 * the 0.2 descriptor answers from what it knows (flags, type, identity) return at once.
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

/** A 0.2 `err(code)` as the 0.3 variant; anything else (a host bug) unchanged, to trap. */
function adaptedError(e: unknown): unknown {
  const code = codeOf(e);
  if (code === undefined || e instanceof FilesystemErrorP3) return e;
  return new FilesystemErrorP3(code, (e as Error).message);
}

/** Runs a synchronous 0.2 call and re-throws its `err(code)` as the 0.3 variant. */
function adapted<T>(operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    throw adaptedError(e);
  }
}

/** Runs an asynchronous 0.2 call; its promise rejects with the 0.3 variant of an `err(code)`. */
async function adaptedAsync<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    throw adaptedError(e);
  }
}

/**
 * Runs 0.2 calls for a stream function: an `err` becomes the outcome instead of a rejection. The
 * stream runs on its own, with no guest call left to trap, so anything else says `io`: the
 * future must settle, whatever happened.
 */
async function attempt(operation: () => Promise<void>): Promise<Outcome> {
  try {
    await operation();
    return { tag: 'ok' };
  } catch (e) {
    return { tag: 'err', val: codeOf(e) ?? { tag: 'io' } };
  }
}

const OK: Outcome = { tag: 'ok' };

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

/**
 * A stream the guest reads and the future of how it ended. `checked` is the check made before the
 * stream begins: its `err` ends the stream and settles the future even if the guest never reads.
 * `onEnd` runs once the stream is over (read to its end, failed, or dropped by the guest).
 */
function pulled(
  checked: Promise<Outcome>,
  next: () => Promise<Uint8Array | unknown[] | undefined>,
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
  void checked.then((outcome) => {
    if (outcome.tag === 'err') finish(outcome);
  });
  const stream = new HostStream(
    async () => {
      if ((await checked).tag === 'err' || done) return undefined;
      let values: Uint8Array | unknown[] | undefined;
      const outcome = await attempt(async () => {
        values = await next();
      });
      if (outcome.tag === 'err' || values === undefined) {
        finish(outcome);
        return undefined;
      }
      return values;
    },
    // A reader that stops early has not met an error.
    () => finish(OK),
  );
  return [stream, new HostFuture(ended.promise)];
}

/** Writes what the guest sends on `data` with `write(chunk)`, one after another; the first failure ends it. */
async function pumpInto(data: StreamReader, write: (chunk: Uint8Array) => Promise<void>): Promise<Outcome> {
  for await (const chunk of data) {
    const outcome = await attempt(() => write(chunk as Uint8Array));
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
    const checked = attempt(async () => {
      checkOffset(offset);
      await inner.read(0n, offset);
    });
    let position = offset;
    return pulled(checked, async () => {
      const [bytes] = await inner.read(READ_CHUNK, position);
      if (bytes.length === 0) return undefined;
      position += BigInt(bytes.length);
      return bytes;
    });
  }

  writeViaStream(data: StreamReader, offset: bigint): HostFuture {
    const inner = this.#inner;
    let position = offset;
    return this.#writing(data, async (chunk) => {
      checkEnd(position + BigInt(chunk.length));
      await inner.write(chunk, position);
      position += BigInt(chunk.length);
    });
  }

  appendViaStream(data: StreamReader): HostFuture {
    const inner = this.#inner;
    return this.#writing(data, async (chunk) => {
      // As 0.2's append stream: each write lands at the end the file has then.
      const end = (await inner.stat()).size;
      checkEnd(end + BigInt(chunk.length));
      await inner.write(chunk, end);
    });
  }

  /** The future of a write stream: the descriptor checked first, then every chunk written in order. */
  #writing(data: StreamReader, write: (chunk: Uint8Array) => Promise<void>): HostFuture {
    const inner = this.#inner;
    const outcome = (async () => {
      const checked = await attempt(async () => {
        await inner.write(new Uint8Array(0), 0n);
      });
      if (checked.tag === 'err') {
        data.close();
        return checked;
      }
      return pumpInto(data, write);
    })();
    return new HostFuture(outcome);
  }

  advise(offset: bigint, length: bigint, advice: Advice): void {
    adapted(() => this.#inner.advise(offset, length, advice));
  }

  syncData(): Promise<void> {
    return adaptedAsync(() => this.#inner.syncData());
  }

  sync(): Promise<void> {
    return adaptedAsync(() => this.#inner.sync());
  }

  getFlags(): DescriptorFlags {
    return adapted(() => this.#inner.getFlags());
  }

  getType(): DescriptorTypeP3 {
    return descriptorTypeP3(adapted(() => this.#inner.getType()));
  }

  setSize(size: bigint): Promise<void> {
    return adaptedAsync(async () => {
      if (size > MAX_OFFSET) throw fail('invalid', 'the size is beyond any file');
      checkEnd(size);
      await this.#inner.setSize(size);
    });
  }

  setTimes(dataAccess: NewTimestamp, dataModification: NewTimestamp): Promise<void> {
    return adaptedAsync(() => this.#inner.setTimes(dataAccess, dataModification));
  }

  readDirectory(): [HostStream, HostFuture] {
    let listing: V2DirectoryEntryStream | undefined;
    let over = false;
    const close = () => {
      over = true;
      (listing as Partial<Disposable> | undefined)?.[Symbol.dispose]?.();
    };
    const opened = attempt(async () => {
      listing = await this.#inner.readDirectory();
      // The guest dropped the stream while the folder was being opened.
      if (over) close();
    });
    return pulled(
      opened,
      async () => {
        const batch: DirectoryEntryP3[] = [];
        while (batch.length < ENTRY_BATCH) {
          const entry = await (listing as V2DirectoryEntryStream).readDirectoryEntry();
          if (entry === undefined) break;
          batch.push({ type: descriptorTypeP3(entry.type), name: entry.name });
        }
        return batch.length > 0 ? batch : undefined;
      },
      close,
    );
  }

  createDirectoryAt(path: string): Promise<void> {
    return adaptedAsync(() => this.#inner.createDirectoryAt(path));
  }

  async stat(): Promise<DescriptorStatP3> {
    return statP3(await adaptedAsync(() => this.#inner.stat()));
  }

  async statAt(pathFlags: PathFlags, path: string): Promise<DescriptorStatP3> {
    return statP3(await adaptedAsync(() => this.#inner.statAt(pathFlags, path)));
  }

  setTimesAt(
    pathFlags: PathFlags,
    path: string,
    dataAccess: NewTimestamp,
    dataModification: NewTimestamp,
  ): Promise<void> {
    return adaptedAsync(() => this.#inner.setTimesAt(pathFlags, path, dataAccess, dataModification));
  }

  linkAt(
    oldPathFlags: PathFlags,
    oldPath: string,
    newDescriptor: Descriptor,
    newPath: string,
  ): Promise<void> {
    return adaptedAsync(() => this.#inner.linkAt(oldPathFlags, oldPath, newDescriptor.#inner, newPath));
  }

  async openAt(
    pathFlags: PathFlags,
    path: string,
    openFlags: OpenFlags,
    flags: DescriptorFlags,
  ): Promise<Descriptor> {
    const flagsP3 = settledFlags(openFlags, flags);
    return new Descriptor(await adaptedAsync(() => this.#inner.openAt(pathFlags, path, openFlags, flagsP3)));
  }

  readlinkAt(path: string): Promise<string> {
    return adaptedAsync(() => this.#inner.readlinkAt(path));
  }

  removeDirectoryAt(path: string): Promise<void> {
    return adaptedAsync(() => this.#inner.removeDirectoryAt(path));
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): Promise<void> {
    return adaptedAsync(() => this.#inner.renameAt(oldPath, newDescriptor.#inner, newPath));
  }

  symlinkAt(oldPath: string, newPath: string): Promise<void> {
    return adaptedAsync(() => this.#inner.symlinkAt(oldPath, newPath));
  }

  unlinkFileAt(path: string): Promise<void> {
    return adaptedAsync(async () => {
      try {
        await this.#inner.unlinkFileAt(path);
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

  metadataHashAt(pathFlags: PathFlags, path: string): Promise<MetadataHashValue> {
    return adaptedAsync(() => this.#inner.metadataHashAt(pathFlags, path));
  }

  [Symbol.dispose](): void {
    (this.#inner as Partial<Disposable>)[Symbol.dispose]?.();
  }
}

function statP3(stat: Awaited<ReturnType<V2Descriptor['stat']>>): DescriptorStatP3 {
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
