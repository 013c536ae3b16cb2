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
 * `@throws ResultError<ErrorCode>` (or a promise that rejects with it). Descriptor parameters are
 * borrowed. The methods that reach the file system return promises (they are SUSPENDING_IMPORTS);
 * the rest answer from what the descriptor already knows.
 */
export interface Descriptor {
  readViaStream(offset: Filesize): InputStream;
  writeViaStream(offset: Filesize): OutputStream;
  appendViaStream(): OutputStream;
  advise(offset: Filesize, length: Filesize, advice: Advice): void;
  syncData(): Promise<void>;
  getFlags(): DescriptorFlags;
  getType(): DescriptorType;
  setSize(size: Filesize): Promise<void>;
  setTimes(dataAccessTimestamp: NewTimestamp, dataModificationTimestamp: NewTimestamp): Promise<void>;
  /** `result<tuple<list<u8>, bool>, error-code>`: the bytes, and whether the end was reached. */
  read(length: Filesize, offset: Filesize): Promise<[Uint8Array, boolean]>;
  write(buffer: Uint8Array, offset: Filesize): Promise<Filesize>;
  readDirectory(): Promise<DirectoryEntryStream>;
  sync(): Promise<void>;
  createDirectoryAt(path: string): Promise<void>;
  stat(): Promise<DescriptorStat>;
  statAt(pathFlags: PathFlags, path: string): Promise<DescriptorStat>;
  setTimesAt(
    pathFlags: PathFlags,
    path: string,
    dataAccessTimestamp: NewTimestamp,
    dataModificationTimestamp: NewTimestamp,
  ): Promise<void>;
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: Descriptor, newPath: string): Promise<void>;
  openAt(
    pathFlags: PathFlags,
    path: string,
    openFlags: OpenFlags,
    flags: DescriptorFlags,
  ): Promise<Descriptor>;
  readlinkAt(path: string): Promise<string>;
  removeDirectoryAt(path: string): Promise<void>;
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): Promise<void>;
  symlinkAt(oldPath: string, newPath: string): Promise<void>;
  unlinkFileAt(path: string): Promise<void>;
  isSameObject(other: Descriptor): boolean;
  metadataHash(): MetadataHashValue;
  metadataHashAt(pathFlags: PathFlags, path: string): Promise<MetadataHashValue>;
}

/** `wasi:filesystem/types#directory-entry-stream`. */
export interface DirectoryEntryStream {
  /** `undefined` once the listing is done. @throws ResultError<ErrorCode> (the promise rejects) */
  readDirectoryEntry(): Promise<DirectoryEntry | undefined>;
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
