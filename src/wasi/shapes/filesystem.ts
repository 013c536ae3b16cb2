/** Host shapes of `wasi:filesystem@0.2.x` (wit/deps/filesystem): types, preopens. */
import type { Datetime } from './clocks.ts';
import type { InputStream, IoError, OutputStream } from './io.ts';
import type { ResourceClass } from './resource.ts';

/** `filesize` and `link-count` are u64. */
export type Filesize = bigint;

export type DescriptorType =
  | 'unknown'
  | 'block-device'
  | 'character-device'
  | 'directory'
  | 'fifo'
  | 'symbolic-link'
  | 'regular-file'
  | 'socket';

export interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
  mutateDirectory?: boolean;
}

export interface PathFlags {
  symlinkFollow?: boolean;
}

export interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}

export interface DescriptorStat {
  type: DescriptorType;
  linkCount: bigint;
  size: Filesize;
  dataAccessTimestamp: Datetime | undefined;
  dataModificationTimestamp: Datetime | undefined;
  statusChangeTimestamp: Datetime | undefined;
}

export type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

export interface DirectoryEntry {
  type: DescriptorType;
  name: string;
}

export type ErrorCode =
  | 'access'
  | 'would-block'
  | 'already'
  | 'bad-descriptor'
  | 'busy'
  | 'deadlock'
  | 'quota'
  | 'exist'
  | 'file-too-large'
  | 'illegal-byte-sequence'
  | 'in-progress'
  | 'interrupted'
  | 'invalid'
  | 'io'
  | 'is-directory'
  | 'loop'
  | 'too-many-links'
  | 'message-size'
  | 'name-too-long'
  | 'no-device'
  | 'no-entry'
  | 'no-lock'
  | 'insufficient-memory'
  | 'insufficient-space'
  | 'not-directory'
  | 'not-empty'
  | 'not-recoverable'
  | 'unsupported'
  | 'no-tty'
  | 'no-such-device'
  | 'overflow'
  | 'not-permitted'
  | 'pipe'
  | 'read-only'
  | 'invalid-seek'
  | 'text-file-busy'
  | 'cross-device';

export type Advice = 'normal' | 'sequential' | 'random' | 'will-need' | 'dont-need' | 'no-reuse';

export interface MetadataHashValue {
  lower: bigint;
  upper: bigint;
}

/**
 * `wasi:filesystem/types#descriptor`. Every method but `isSameObject`:
 * `@throws ResultError<ErrorCode>`. Descriptor parameters are borrowed.
 */
export interface Descriptor {
  readViaStream(offset: Filesize): InputStream;
  writeViaStream(offset: Filesize): OutputStream;
  appendViaStream(): OutputStream;
  advise(offset: Filesize, length: Filesize, advice: Advice): void;
  syncData(): void;
  getFlags(): DescriptorFlags;
  getType(): DescriptorType;
  setSize(size: Filesize): void;
  setTimes(dataAccessTimestamp: NewTimestamp, dataModificationTimestamp: NewTimestamp): void;
  /** `result<tuple<list<u8>, bool>, error-code>`: the bytes, and whether the end was reached. */
  read(length: Filesize, offset: Filesize): [Uint8Array, boolean];
  write(buffer: Uint8Array, offset: Filesize): Filesize;
  readDirectory(): DirectoryEntryStream;
  sync(): void;
  createDirectoryAt(path: string): void;
  stat(): DescriptorStat;
  statAt(pathFlags: PathFlags, path: string): DescriptorStat;
  setTimesAt(
    pathFlags: PathFlags,
    path: string,
    dataAccessTimestamp: NewTimestamp,
    dataModificationTimestamp: NewTimestamp,
  ): void;
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): void;
  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor;
  readlinkAt(path: string): string;
  removeDirectoryAt(path: string): void;
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void;
  symlinkAt(oldPath: string, newPath: string): void;
  unlinkFileAt(path: string): void;
  isSameObject(other: Descriptor): boolean;
  metadataHash(): MetadataHashValue;
  metadataHashAt(pathFlags: PathFlags, path: string): MetadataHashValue;
}

/** `wasi:filesystem/types#directory-entry-stream`. */
export interface DirectoryEntryStream {
  /** `undefined` once the listing is done. @throws ResultError<ErrorCode> */
  readDirectoryEntry(): DirectoryEntry | undefined;
}

/** `wasi:filesystem/types`. */
export interface WasiFilesystemTypes {
  Descriptor: ResourceClass<Descriptor>;
  DirectoryEntryStream: ResourceClass<DirectoryEntryStream>;
  /** `err` is a borrowed `wasi:io/error#error`. */
  filesystemErrorCode(err: IoError): ErrorCode | undefined;
}

/** `wasi:filesystem/preopens`. */
export interface WasiFilesystemPreopens {
  getDirectories(): Array<[Descriptor, string]>;
}
