/**
 * `wasi:filesystem/types#descriptor`: an open file or folder inside one mount, always backed by a
 * host fd. Every `*-at` path goes through resolvePath from the folder's fd, every change through
 * #mutable, so a guest cannot leave its folder or write to a read-only mount.
 * Every call that reaches the file system returns a promise and runs in libuv's thread pool, so the
 * guest suspends (JSPI; SUSPENDING_IMPORTS in src/engine/core-module.ts) while the event loop goes
 * on serving others. Type and identity never change for an open fd, so they are read once, at open.
 */
import { type BigIntStats, constants, fstatSync, openSync } from 'node:fs';
import { link, lstat, mkdir, opendir, readlink, rename, rmdir, symlink, unlink } from 'node:fs/promises';
import { type InputStream, OutputStream } from '../io/streams.ts';
import { fsError, translatedAsync } from './errors.ts';
import { DirectoryEntryStream, fileInputStream, fileSink } from './file-io.ts';
import {
  closeFd,
  fdatasyncFd,
  fstatBig,
  fsyncFd,
  ftruncateFd,
  HostFd,
  openPath,
  readAt,
  writeAllAt,
} from './host-fd.ts';
import {
  type Advice,
  type DescriptorFlags,
  type DescriptorStat,
  type DescriptorType,
  describeStat,
  descriptorTypeOf,
  type FileIdentity,
  type MetadataHashValue,
  metadataHashOf,
  type OpenFlags,
  type PathFlags,
} from './metadata.ts';
import { type LockMode, namespaceLock } from './namespace-lock.ts';
import {
  checkSymlinkTarget,
  folderPath,
  type PathBase,
  requireEntryName,
  resolvePath,
  type Sandbox,
} from './sandbox-path.ts';
import { type NewTimestamp, setTimes } from './set-times.ts';

/**
 * Host fds and folder listings one instance holds, closed together when the instance ends or is
 * reset for its next request.
 */
export class OpenHandles {
  readonly #open = new Set<{ close(): void }>();
  /** How many times everything was closed: an open under way across a closeAll must not survive it. */
  generation = 0;
  add(handle: { close(): void }): void {
    this.#open.add(handle);
  }
  delete(handle: { close(): void }): void {
    this.#open.delete(handle);
  }
  closeAll(): void {
    this.generation++;
    for (const handle of this.#open) handle.close();
    this.#open.clear();
  }
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } =
  constants;
const { O_SYNC = 0, O_DSYNC = 0 } = constants;

/** Largest single `read` handed to a guest, whatever length it asks for. */
const MAX_READ = 1 << 20;

const followFlag = (pathFlags: PathFlags) => (pathFlags.symlinkFollow ? 'follow' : 'keep');

export class Descriptor {
  readonly #sandbox: Sandbox;
  readonly #handles: OpenHandles;
  /** Host names from the mount root down to this folder or file. */
  readonly #parts: string[];
  readonly #type: DescriptorType;
  readonly #identity: FileIdentity;
  readonly #flags: DescriptorFlags;
  readonly #fd: HostFd;
  readonly #handle = { close: () => this.#close() };

  /** @internal Takes ownership of `fd`; `stat` is its fstat, taken when it was opened. */
  constructor(
    sandbox: Sandbox,
    handles: OpenHandles,
    parts: string[],
    fd: number,
    stat: BigIntStats,
    flags: DescriptorFlags,
  ) {
    this.#sandbox = sandbox;
    this.#handles = handles;
    this.#parts = parts;
    this.#fd = new HostFd(fd);
    this.#type = descriptorTypeOf(stat);
    this.#identity = { dev: stat.dev, ino: stat.ino };
    this.#flags = flags;
    handles.add(this.#handle);
  }

  /**
   * @internal A preopen: the root folder of a mount. Synchronous, one open(2) of a folder resolved
   * at start: get-directories stays out of SUSPENDING_IMPORTS, so a guest may call it from anywhere.
   */
  static openRoot(sandbox: Sandbox, handles: OpenHandles): Descriptor {
    const fd = openSync(sandbox.hostRoot, O_RDONLY | O_DIRECTORY);
    let stat: BigIntStats;
    try {
      stat = fstatSync(fd, { bigint: true });
    } catch (e) {
      closeFd(fd);
      throw e;
    }
    return new Descriptor(sandbox, handles, [], fd, stat, { read: true, mutateDirectory: !sandbox.readOnly });
  }

  readViaStream(offset: bigint): InputStream {
    return fileInputStream(this.#file('read'), offset);
  }

  writeViaStream(offset: bigint): OutputStream {
    return new OutputStream(fileSink(this.#file('write'), offset));
  }

  appendViaStream(): OutputStream {
    return new OutputStream(fileSink(this.#file('write'), 'append'));
  }

  advise(_offset: bigint, _length: bigint, _advice: Advice): void {
    // Node has no posix_fadvise; advice is only a hint, so accepting it is correct.
    this.#file();
  }

  async syncData(): Promise<void> {
    return this.#io(this.#fd, fdatasyncFd);
  }

  async sync(): Promise<void> {
    return this.#io(this.#fd, fsyncFd);
  }

  getFlags(): DescriptorFlags {
    this.#fd.check();
    return { ...this.#flags };
  }

  getType(): DescriptorType {
    this.#fd.check();
    return this.#type;
  }

  async setSize(size: bigint): Promise<void> {
    return this.#io(this.#file('write'), (fd) => ftruncateFd(fd, Number(size)));
  }

  async setTimes(dataAccess: NewTimestamp, dataModification: NewTimestamp): Promise<void> {
    this.#mutable();
    return this.#io(this.#fd, (fd) => setTimes({ fd }, dataAccess, dataModification));
  }

  async read(length: bigint, offset: bigint): Promise<[Uint8Array, boolean]> {
    const file = this.#file('read');
    const max = Number(length > BigInt(MAX_READ) ? BigInt(MAX_READ) : length);
    // Nothing to read, nothing to wait for (0.3's read-via-stream checks a descriptor this way).
    if (max === 0) return [new Uint8Array(0), false];
    const bytes = await this.#io(file, (fd) => readAt(fd, max, offset));
    return [bytes, bytes.length === 0];
  }

  async write(buffer: Uint8Array, offset: bigint): Promise<bigint> {
    const file = this.#file('write');
    if (buffer.length > 0) await this.#io(file, (fd) => writeAllAt(fd, buffer, offset));
    return BigInt(buffer.length);
  }

  async readDirectory(): Promise<DirectoryEntryStream> {
    const generation = this.#handles.generation;
    const stream = await this.#at('shared', async (base) => {
      const onClose = (s: DirectoryEntryStream) => this.#handles.delete(s);
      const only = this.#sandbox.only;
      if (only && this.#parts.length === 0) {
        const stat = await lstat(`${base.hostPath}/${only.hostName}`).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        });
        const fixed = stat ? [{ type: descriptorTypeOf(stat), name: only.guestName }] : [];
        return new DirectoryEntryStream(undefined, base.hostPath, fixed, this.#fd, onClose);
      }
      const dir = await opendir(base.hostPath);
      return new DirectoryEntryStream(dir, base.hostPath, [], this.#fd, onClose);
    });
    if (this.#handles.generation !== generation) {
      stream.close();
      throw fsError('bad-descriptor', 'the instance let go of its files while the folder was opened');
    }
    this.#handles.add(stream);
    return stream;
  }

  async createDirectoryAt(path: string): Promise<void> {
    this.#mutable();
    return this.#at('exclusive', async (base) => {
      const target = await resolvePath(base, path, 'keep');
      requireEntryName(target, 'exist');
      await mkdir(target.hostPath);
    });
  }

  async stat(): Promise<DescriptorStat> {
    return describeStat(await this.#io(this.#fd, fstatBig));
  }

  async statAt(pathFlags: PathFlags, path: string): Promise<DescriptorStat> {
    return this.#at('shared', async (base) => {
      const target = await resolvePath(base, path, followFlag(pathFlags));
      return describeStat(await lstat(target.hostPath, { bigint: true }));
    });
  }

  async setTimesAt(
    pathFlags: PathFlags,
    path: string,
    dataAccess: NewTimestamp,
    dataModification: NewTimestamp,
  ): Promise<void> {
    this.#mutable();
    return this.#at('shared', async (base) => {
      const target = await resolvePath(base, path, followFlag(pathFlags));
      await lstat(target.hostPath);
      await setTimes({ path: target.hostPath, follow: false }, dataAccess, dataModification);
    });
  }

  async linkAt(
    oldPathFlags: PathFlags,
    oldPath: string,
    newDescriptor: Descriptor,
    newPath: string,
  ): Promise<void> {
    this.#mutable();
    newDescriptor.#mutable();
    newDescriptor.#directory();
    return this.#at('exclusive', (base) =>
      newDescriptor.#fd.use(async (newFd) => {
        const source = await resolvePath(base, oldPath, followFlag(oldPathFlags));
        const target = await resolvePath(await newDescriptor.#base(newFd), newPath, 'keep');
        requireEntryName(target, 'exist');
        await link(source.hostPath, target.hostPath);
      }),
    );
  }

  async openAt(
    pathFlags: PathFlags,
    path: string,
    openFlags: OpenFlags,
    flags: DescriptorFlags,
  ): Promise<Descriptor> {
    this.#directory();
    const { create = false, directory = false, exclusive = false, truncate = false } = openFlags;
    if (directory && (create || exclusive || truncate)) throw fsError('invalid');
    const writes = flags.write || create || truncate;
    if (this.#sandbox.readOnly && (writes || flags.mutateDirectory)) throw fsError('read-only');
    // O_CREAT|O_EXCL never follows a final symlink (POSIX), so resolve it as the link itself.
    const follow = pathFlags.symlinkFollow && !(create && exclusive);
    const access = !writes ? O_RDONLY : flags.read || !flags.write ? O_RDWR : O_WRONLY;
    // O_NONBLOCK keeps a FIFO in the mount from holding a thread-pool thread on open.
    let mode = access | O_NOFOLLOW | O_NONBLOCK;
    if (directory) mode |= O_DIRECTORY;
    if (create) mode |= O_CREAT;
    if (exclusive) mode |= O_EXCL;
    if (truncate) mode |= O_TRUNC;
    if (flags.fileIntegritySync || flags.requestedWriteSync) mode |= O_SYNC;
    if (flags.dataIntegritySync) mode |= O_DSYNC;
    const generation = this.#handles.generation;
    // Creating a file changes the tree; opening one only looks at it.
    const { fd, parts } = await this.#at(create ? 'exclusive' : 'shared', async (base) => {
      const target = await resolvePath(base, path, follow ? 'follow' : 'keep');
      return { fd: await openPath(target.hostPath, mode, 0o666), parts: target.parts };
    });
    let stat: BigIntStats;
    try {
      stat = await translatedAsync(() => fstatBig(fd));
      if (this.#handles.generation !== generation)
        throw fsError('bad-descriptor', 'the instance let go of its files while this one was opened');
    } catch (e) {
      closeFd(fd);
      throw e;
    }
    const opened: DescriptorFlags = { ...flags };
    if (stat.isDirectory()) {
      opened.read = true;
      opened.mutateDirectory = !this.#sandbox.readOnly && Boolean(flags.mutateDirectory);
    }
    return new Descriptor(this.#sandbox, this.#handles, parts, fd, stat, opened);
  }

  async readlinkAt(path: string): Promise<string> {
    return this.#at('shared', async (base) => {
      const target = await resolvePath(base, path, 'keep');
      return readlink(target.hostPath, 'utf8');
    });
  }

  async removeDirectoryAt(path: string): Promise<void> {
    this.#mutable();
    return this.#at('exclusive', async (base) => {
      const target = await resolvePath(base, path, 'keep');
      requireEntryName(target, 'invalid');
      await rmdir(target.hostPath);
    });
  }

  async renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): Promise<void> {
    this.#mutable();
    newDescriptor.#mutable();
    newDescriptor.#directory();
    return this.#at('exclusive', (base) =>
      newDescriptor.#fd.use(async (newFd) => {
        const source = await resolvePath(base, oldPath, 'keep');
        const target = await resolvePath(await newDescriptor.#base(newFd), newPath, 'keep');
        requireEntryName(source, 'invalid');
        requireEntryName(target, 'invalid');
        await rename(source.hostPath, target.hostPath);
      }),
    );
  }

  async symlinkAt(oldPath: string, newPath: string): Promise<void> {
    this.#mutable();
    return this.#at('exclusive', async (base) => {
      const link = await resolvePath(base, newPath, 'keep');
      requireEntryName(link, 'exist');
      checkSymlinkTarget(link.parts.length - 1 - this.#parts.length, oldPath);
      await symlink(oldPath, link.hostPath);
    });
  }

  async unlinkFileAt(path: string): Promise<void> {
    this.#mutable();
    return this.#at('exclusive', async (base) => {
      const target = await resolvePath(base, path, 'keep');
      requireEntryName(target, 'invalid');
      await unlink(target.hostPath);
    });
  }

  isSameObject(other: Descriptor): boolean {
    if (other === this) return true;
    if (!this.#fd.isOpen || !other.#fd.isOpen) return false;
    return this.#identity.dev === other.#identity.dev && this.#identity.ino === other.#identity.ino;
  }

  metadataHash(): MetadataHashValue {
    this.#fd.check();
    return metadataHashOf(this.#identity);
  }

  async metadataHashAt(pathFlags: PathFlags, path: string): Promise<MetadataHashValue> {
    return this.#at('shared', async (base) => {
      const target = await resolvePath(base, path, followFlag(pathFlags));
      return metadataHashOf(await lstat(target.hostPath, { bigint: true }));
    });
  }

  [Symbol.dispose](): void {
    this.#close();
  }

  #close(): void {
    if (!this.#fd.isOpen) return;
    this.#handles.delete(this.#handle);
    this.#fd.close();
  }

  /** An operation on an open fd, in the thread pool; errno failures become `err(code)`. */
  #io<T>(file: HostFd, op: (fd: number) => Promise<T>): Promise<T> {
    return translatedAsync(() => file.use(op));
  }

  /**
   * A `*-at` operation: on this folder's fd, under the namespace lock from resolution to the last
   * syscall (exclusive when it changes the tree); errno failures become `err(code)`.
   */
  #at<T>(mode: LockMode, op: (base: PathBase) => Promise<T>): Promise<T> {
    this.#directory();
    return translatedAsync(() =>
      this.#fd.use((fd) => namespaceLock.run(mode, async () => op(await this.#base(fd)))),
    );
  }

  async #base(fd: number): Promise<PathBase> {
    const sandbox = this.#sandbox;
    const parts = this.#parts;
    return { sandbox, parts, hostPath: await folderPath(sandbox, parts, fd) };
  }

  /** A file descriptor opened for `access`; folders and missing access are bad-descriptor. */
  #file(access?: 'read' | 'write'): HostFd {
    this.#fd.check();
    if (this.#type === 'directory') throw fsError(access === undefined ? 'bad-descriptor' : 'is-directory');
    if (access && !this.#flags[access]) throw fsError('bad-descriptor');
    if (access === 'write' && this.#sandbox.readOnly) throw fsError('read-only');
    return this.#fd;
  }

  #directory(): void {
    this.#fd.check();
    if (this.#type !== 'directory') throw fsError('not-directory');
  }

  #mutable(): void {
    this.#fd.check();
    if (this.#sandbox.readOnly) throw fsError('read-only', 'the mount is read-only');
  }
}
