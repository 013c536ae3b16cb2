/**
 * `wasi:filesystem/types#descriptor`: an open file or folder inside one mount, always backed by a
 * host fd. Every `*-at` path goes through resolvePath from the folder's fd, every change through
 * #mutable, so a guest cannot leave its folder or write to a read-only mount.
 */
import type { BigIntStats } from 'node:fs';
import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  opendirSync,
  openSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { InputStream, OutputStream } from '../io/streams.ts';
import { fsError, translated } from './errors.ts';
import { DirectoryEntryStream, fileSink, fileSource, writeAll } from './file-io.ts';
import {
  type Advice,
  type DescriptorFlags,
  type DescriptorStat,
  type DescriptorType,
  describeStat,
  descriptorTypeOf,
  type MetadataHashValue,
  metadataHashOf,
  type OpenFlags,
  type PathFlags,
} from './metadata.ts';
import {
  checkSymlinkTarget,
  folderPath,
  type ResolvedPath,
  requireEntryName,
  resolvePath,
  type Sandbox,
} from './sandbox-path.ts';
import { type NewTimestamp, setTimes } from './set-times.ts';

/** Host fds and folder listings one instance holds, closed together when the instance ends. */
export class OpenHandles {
  readonly #open = new Set<{ close(): void }>();
  add(handle: { close(): void }): void {
    this.#open.add(handle);
  }
  delete(handle: { close(): void }): void {
    this.#open.delete(handle);
  }
  closeAll(): void {
    for (const handle of this.#open) handle.close();
    this.#open.clear();
  }
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } =
  constants;
const { O_SYNC = 0, O_DSYNC = 0 } = constants;

/** Largest single `read` handed to a guest, whatever length it asks for. */
const MAX_READ = 1 << 20;

export class Descriptor {
  readonly #sandbox: Sandbox;
  readonly #handles: OpenHandles;
  /** Host names from the mount root down to this folder or file. */
  readonly #parts: string[];
  readonly #isDirectory: boolean;
  readonly #flags: DescriptorFlags;
  #fd: number | undefined;
  readonly #handle = { close: () => this.#close() };

  /** @internal Takes ownership of `fd`. */
  constructor(
    sandbox: Sandbox,
    handles: OpenHandles,
    parts: string[],
    fd: number,
    isDirectory: boolean,
    flags: DescriptorFlags,
  ) {
    this.#sandbox = sandbox;
    this.#handles = handles;
    this.#parts = parts;
    this.#fd = fd;
    this.#isDirectory = isDirectory;
    this.#flags = flags;
    handles.add(this.#handle);
  }

  /** @internal A preopen: the root folder of a mount. */
  static openRoot(sandbox: Sandbox, handles: OpenHandles): Descriptor {
    const fd = openSync(sandbox.hostRoot, O_RDONLY | O_DIRECTORY);
    return new Descriptor(sandbox, handles, [], fd, true, { read: true, mutateDirectory: !sandbox.readOnly });
  }

  readViaStream(offset: bigint): InputStream {
    this.#file('read');
    return new InputStream(fileSource(() => this.#openFd(), offset));
  }

  writeViaStream(offset: bigint): OutputStream {
    this.#file('write');
    return new OutputStream(fileSink(() => this.#openFd(), offset));
  }

  appendViaStream(): OutputStream {
    this.#file('write');
    return new OutputStream(fileSink(() => this.#openFd(), 'append'));
  }

  advise(_offset: bigint, _length: bigint, _advice: Advice): void {
    // Node has no posix_fadvise; advice is only a hint, so accepting it is correct.
    this.#file();
  }

  syncData(): void {
    translated(() => fdatasyncSync(this.#openFd()));
  }

  sync(): void {
    translated(() => fsyncSync(this.#openFd()));
  }

  getFlags(): DescriptorFlags {
    this.#openFd();
    return { ...this.#flags };
  }

  getType(): DescriptorType {
    return descriptorTypeOf(this.#fstat());
  }

  setSize(size: bigint): void {
    const fd = this.#file('write');
    translated(() => ftruncateSync(fd, Number(size)));
  }

  setTimes(dataAccess: NewTimestamp, dataModification: NewTimestamp): void {
    const fd = this.#openFd();
    this.#mutable();
    translated(() => setTimes({ fd }, dataAccess, dataModification));
  }

  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const fd = this.#file('read');
    const max = Number(length > BigInt(MAX_READ) ? BigInt(MAX_READ) : length);
    const buffer = Buffer.alloc(max);
    const count = translated(() => readSync(fd, buffer, 0, max, offset));
    return [buffer.subarray(0, count), count === 0 && max > 0];
  }

  write(buffer: Uint8Array, offset: bigint): bigint {
    const fd = this.#file('write');
    translated(() => writeAll(fd, buffer, offset));
    return BigInt(buffer.length);
  }

  readDirectory(): DirectoryEntryStream {
    this.#directory();
    const path = translated(() => folderPath(this.#sandbox, this.#parts, this.#openFd()));
    const onClose = (stream: DirectoryEntryStream) => this.#handles.delete(stream);
    const only = this.#sandbox.only;
    let stream: DirectoryEntryStream;
    if (only && this.#parts.length === 0) {
      const stat = lstatSync(`${path}/${only.hostName}`, { throwIfNoEntry: false });
      stream = new DirectoryEntryStream(
        undefined,
        path,
        stat ? [{ type: descriptorTypeOf(stat), name: only.guestName }] : [],
        onClose,
      );
    } else {
      stream = new DirectoryEntryStream(
        translated(() => opendirSync(path)),
        path,
        [],
        onClose,
      );
    }
    this.#handles.add(stream);
    return stream;
  }

  createDirectoryAt(path: string): void {
    this.#mutable();
    const target = this.#resolve(path, 'keep');
    requireEntryName(target, 'exist');
    translated(() => mkdirSync(target.hostPath));
  }

  stat(): DescriptorStat {
    return describeStat(this.#fstat());
  }

  statAt(pathFlags: PathFlags, path: string): DescriptorStat {
    const target = this.#resolve(path, pathFlags.symlinkFollow ? 'follow' : 'keep');
    return describeStat(translated(() => lstatSync(target.hostPath, { bigint: true })));
  }

  setTimesAt(
    pathFlags: PathFlags,
    path: string,
    dataAccess: NewTimestamp,
    dataModification: NewTimestamp,
  ): void {
    this.#mutable();
    const target = this.#resolve(path, pathFlags.symlinkFollow ? 'follow' : 'keep');
    translated(() => {
      lstatSync(target.hostPath);
      setTimes({ path: target.hostPath, follow: false }, dataAccess, dataModification);
    });
  }

  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.#mutable();
    newDescriptor.#mutable();
    const source = this.#resolve(oldPath, oldPathFlags.symlinkFollow ? 'follow' : 'keep');
    const target = newDescriptor.#resolve(newPath, 'keep');
    requireEntryName(target, 'exist');
    translated(() => linkSync(source.hostPath, target.hostPath));
  }

  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor {
    this.#directory();
    const { create = false, directory = false, exclusive = false, truncate = false } = openFlags;
    if (directory && (create || exclusive || truncate)) throw fsError('invalid');
    const writes = flags.write || create || truncate;
    if (this.#sandbox.readOnly && (writes || flags.mutateDirectory)) throw fsError('read-only');
    // O_CREAT|O_EXCL never follows a final symlink (POSIX), so resolve it as the link itself.
    const follow = pathFlags.symlinkFollow && !(create && exclusive);
    const target = this.#resolve(path, follow ? 'follow' : 'keep');
    const access = !writes ? O_RDONLY : flags.read || !flags.write ? O_RDWR : O_WRONLY;
    // O_NONBLOCK keeps a FIFO in the mount from blocking the whole host on open.
    let mode = access | O_NOFOLLOW | O_NONBLOCK;
    if (directory) mode |= O_DIRECTORY;
    if (create) mode |= O_CREAT;
    if (exclusive) mode |= O_EXCL;
    if (truncate) mode |= O_TRUNC;
    if (flags.fileIntegritySync || flags.requestedWriteSync) mode |= O_SYNC;
    if (flags.dataIntegritySync) mode |= O_DSYNC;
    const fd = translated(() => openSync(target.hostPath, mode, 0o666));
    let isDirectory: boolean;
    try {
      isDirectory = translated(() => fstatSync(fd).isDirectory());
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    const opened: DescriptorFlags = { ...flags };
    if (isDirectory) {
      opened.read = true;
      opened.mutateDirectory = !this.#sandbox.readOnly && Boolean(flags.mutateDirectory);
    }
    return new Descriptor(this.#sandbox, this.#handles, target.parts, fd, isDirectory, opened);
  }

  readlinkAt(path: string): string {
    const target = this.#resolve(path, 'keep');
    return translated(() => readlinkSync(target.hostPath, 'utf8'));
  }

  removeDirectoryAt(path: string): void {
    this.#mutable();
    const target = this.#resolve(path, 'keep');
    requireEntryName(target, 'invalid');
    translated(() => rmdirSync(target.hostPath));
  }

  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.#mutable();
    newDescriptor.#mutable();
    const source = this.#resolve(oldPath, 'keep');
    const target = newDescriptor.#resolve(newPath, 'keep');
    requireEntryName(source, 'invalid');
    requireEntryName(target, 'invalid');
    translated(() => renameSync(source.hostPath, target.hostPath));
  }

  symlinkAt(oldPath: string, newPath: string): void {
    this.#mutable();
    const link = this.#resolve(newPath, 'keep');
    requireEntryName(link, 'exist');
    checkSymlinkTarget(link.parts.length - 1 - this.#parts.length, oldPath);
    translated(() => symlinkSync(oldPath, link.hostPath));
  }

  unlinkFileAt(path: string): void {
    this.#mutable();
    const target = this.#resolve(path, 'keep');
    requireEntryName(target, 'invalid');
    translated(() => unlinkSync(target.hostPath));
  }

  isSameObject(other: Descriptor): boolean {
    if (other === this) return true;
    if (this.#fd === undefined || other.#fd === undefined) return false;
    const a = this.#fstat();
    const b = other.#fstat();
    return a.dev === b.dev && a.ino === b.ino;
  }

  metadataHash(): MetadataHashValue {
    return metadataHashOf(this.#fstat());
  }

  metadataHashAt(pathFlags: PathFlags, path: string): MetadataHashValue {
    const target = this.#resolve(path, pathFlags.symlinkFollow ? 'follow' : 'keep');
    return metadataHashOf(translated(() => lstatSync(target.hostPath, { bigint: true })));
  }

  [Symbol.dispose](): void {
    this.#close();
  }

  #close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    this.#handles.delete(this.#handle);
    try {
      closeSync(fd);
    } catch {
      // Closing can only fail for an fd that is already gone; nothing is left to release.
    }
  }

  #openFd(): number {
    if (this.#fd === undefined) throw fsError('bad-descriptor');
    return this.#fd;
  }

  #fstat(): BigIntStats {
    const fd = this.#openFd();
    return translated(() => fstatSync(fd, { bigint: true }));
  }

  /** The fd of a file descriptor opened for `access`; folders and missing access are bad-descriptor. */
  #file(access?: 'read' | 'write'): number {
    const fd = this.#openFd();
    if (this.#isDirectory) throw fsError(access === undefined ? 'bad-descriptor' : 'is-directory');
    if (access && !this.#flags[access]) throw fsError('bad-descriptor');
    if (access === 'write' && this.#sandbox.readOnly) throw fsError('read-only');
    return fd;
  }

  #directory(): void {
    this.#openFd();
    if (!this.#isDirectory) throw fsError('not-directory');
  }

  #mutable(): void {
    this.#openFd();
    if (this.#sandbox.readOnly) throw fsError('read-only', 'the mount is read-only');
  }

  #resolve(path: string, finalSymlink: 'follow' | 'keep'): ResolvedPath {
    this.#directory();
    const sandbox = this.#sandbox;
    const parts = this.#parts;
    const fd = this.#openFd();
    return translated(() =>
      resolvePath({ sandbox, parts, hostPath: folderPath(sandbox, parts, fd) }, path, finalSymlink),
    );
  }
}
