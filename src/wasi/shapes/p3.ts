/**
 * Host shapes of the WASI 0.3 interfaces Skiff implements (the 0.3.0 release, WebAssembly/WASI
 * proposals/<name>/wit), keyed `…@0.3` as `p3Imports` keys them. An `async func` may return a promise
 * (the async ABI makes it a subtask); `stream<T>` and `future<T>` arrive as readers and leave as
 * host streams and futures (canonical-abi/streams.ts).
 */
import type {
  FutureReader,
  HostFuture,
  HostStream,
  ReadableStreamSource,
  StreamReader,
} from '../../engine/binding/canonical-abi/streams.ts';
import type { IpAddress, IpAddressFamily, IpSocketAddress } from '../p3/sockets/common.ts';
import type {
  WasiCliExit,
  WasiCliTerminalInput,
  WasiCliTerminalOutput,
  WasiCliTerminalStderr,
  WasiCliTerminalStdin,
  WasiCliTerminalStdout,
} from './cli.ts';
import type { Datetime } from './clocks.ts';
import type {
  Advice,
  DescriptorFlags,
  DescriptorType,
  ErrorCode,
  Filesize,
  MetadataHashValue,
  NewTimestamp,
  OpenFlags,
  PathFlags,
} from './filesystem.ts';
import type { WasiRandomInsecure, WasiRandomRandom } from './random.ts';
import type { ResourceClass } from './resource.ts';

/** `wasi:cli/environment@0.3`. */
export interface WasiCliEnvironmentP3 {
  getEnvironment(): Array<[string, string]>;
  getArguments(): string[];
  getInitialCwd(): string | undefined;
}

/** `wasi:cli/stdin@0.3`: the stream and a future of how reading it ended. */
export interface WasiCliStdinP3 {
  readViaStream(): [HostStream, HostFuture];
}

/** `wasi:cli/stdout@0.3` and `wasi:cli/stderr@0.3`: a future of how writing the stream ended. */
export interface WasiCliOutputP3 {
  writeViaStream(data: StreamReader): HostFuture;
}

/** `wasi:clocks/monotonic-clock@0.3`: the waits are `async func`s (undefined: already due). */
export interface WasiClocksMonotonicClockP3 {
  now(): bigint;
  getResolution(): bigint;
  waitUntil(when: bigint): Promise<void> | undefined;
  waitFor(howLong: bigint): Promise<void> | undefined;
}

/** `wasi:clocks/system-clock@0.3` (0.2's wall clock); its resolution is a duration in ns. */
export interface WasiClocksSystemClockP3 {
  now(): Datetime;
  getResolution(): bigint;
}

/** What an `async func` returns: its value at once, or a promise of it (the async ABI's subtask). */
type Async<T> = T | Promise<T>;

/**
 * `wasi:filesystem/types@0.3#descriptor-type`: 0.2's enum became a variant, and `unknown` became
 * `other(option<string>)`.
 */
export type DescriptorTypeP3 =
  | { tag: Exclude<DescriptorType, 'unknown'> }
  | { tag: 'other'; val: string | undefined };

/**
 * `wasi:filesystem/types@0.3#error-code`: 0.2's cases as a variant, without `would-block`, and
 * with `other(option<string>)`.
 */
export type ErrorCodeP3 =
  | { tag: Exclude<ErrorCode, 'would-block'> }
  | { tag: 'other'; val: string | undefined };

/** `descriptor-stat`; the timestamps are `wasi:clocks/system-clock@0.3#instant` (s64 seconds). */
export interface DescriptorStatP3 {
  type: DescriptorTypeP3;
  linkCount: bigint;
  size: Filesize;
  dataAccessTimestamp: Datetime | undefined;
  dataModificationTimestamp: Datetime | undefined;
  statusChangeTimestamp: Datetime | undefined;
}

/** `directory-entry`, the element of `read-directory`'s stream. */
export interface DirectoryEntryP3 {
  type: DescriptorTypeP3;
  name: string;
}

/**
 * `wasi:filesystem/types@0.3#descriptor`. The `async func`s that return `result<T, error-code>`:
 * `@throws ResultError<ErrorCodeP3>` (or a promise that rejects with it). The stream functions
 * report failure through the future they return: `result<_, error-code>` as `{ tag, val }`.
 * Descriptor parameters are borrowed.
 */
export interface DescriptorP3 {
  readViaStream(offset: Filesize): [HostStream, HostFuture];
  writeViaStream(data: StreamReader, offset: Filesize): HostFuture;
  appendViaStream(data: StreamReader): HostFuture;
  advise(offset: Filesize, length: Filesize, advice: Advice): Async<void>;
  syncData(): Async<void>;
  getFlags(): Async<DescriptorFlags>;
  getType(): Async<DescriptorTypeP3>;
  setSize(size: Filesize): Async<void>;
  setTimes(dataAccessTimestamp: NewTimestamp, dataModificationTimestamp: NewTimestamp): Async<void>;
  readDirectory(): [HostStream, HostFuture];
  sync(): Async<void>;
  createDirectoryAt(path: string): Async<void>;
  stat(): Async<DescriptorStatP3>;
  statAt(pathFlags: PathFlags, path: string): Async<DescriptorStatP3>;
  setTimesAt(
    pathFlags: PathFlags,
    path: string,
    dataAccessTimestamp: NewTimestamp,
    dataModificationTimestamp: NewTimestamp,
  ): Async<void>;
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: DescriptorP3, newPath: string): Async<void>;
  openAt(
    pathFlags: PathFlags,
    path: string,
    openFlags: OpenFlags,
    flags: DescriptorFlags,
  ): Async<DescriptorP3>;
  readlinkAt(path: string): Async<string>;
  removeDirectoryAt(path: string): Async<void>;
  renameAt(oldPath: string, newDescriptor: DescriptorP3, newPath: string): Async<void>;
  symlinkAt(oldPath: string, newPath: string): Async<void>;
  unlinkFileAt(path: string): Async<void>;
  isSameObject(other: DescriptorP3): Async<boolean>;
  metadataHash(): Async<MetadataHashValue>;
  metadataHashAt(pathFlags: PathFlags, path: string): Async<MetadataHashValue>;
}

/** `wasi:filesystem/types@0.3`: no directory-entry-stream resource and no error downcast any more. */
export interface WasiFilesystemTypesP3 {
  Descriptor: ResourceClass<DescriptorP3>;
}

/** `wasi:filesystem/preopens@0.3`. */
export interface WasiFilesystemPreopensP3 {
  getDirectories(): Array<[DescriptorP3, string]>;
}

/** `wasi:http/types@0.3` `fields`: 0.2's members plus `copy-all` and `get-and-delete`. */
export interface FieldsP3 {
  get(name: string): Uint8Array[];
  has(name: string): boolean;
  set(name: string, values: Uint8Array[]): void;
  delete(name: string): void;
  getAndDelete(name: string): Uint8Array[];
  append(name: string, value: Uint8Array): void;
  copyAll(): Array<[string, Uint8Array]>;
  clone(): FieldsP3;
}

/** A body as the guest hands it over: its bytes (none: empty) and a future of its trailers. */
type BodyIn = [contents: StreamReader | undefined, trailers: FutureReader];

/** `wasi:http/types@0.3`: resources as classes, `[static]` functions as static methods. */
export interface WasiHttpTypesP3 {
  Fields: { new (): FieldsP3; fromList(entries: Array<[string, Uint8Array]>): FieldsP3 };
  Request: {
    new: (headers: never, ...body: [...BodyIn, options: never]) => [object, HostFuture];
    consumeBody(request: never, done: FutureReader): [ReadableStreamSource, HostFuture];
  };
  Response: {
    new: (headers: never, ...body: BodyIn) => [object, HostFuture];
    consumeBody(response: never, done: FutureReader): [ReadableStreamSource, HostFuture];
  };
  RequestOptions: new () => object;
}

/** `wasi:http/client@0.3`: `send` is an `async func`. */
export interface WasiHttpClientP3 {
  send(request: never): Promise<unknown>;
}

/** `wasi:random/insecure-seed@0.3`. */
export interface WasiRandomInsecureSeedP3 {
  getInsecureSeed(): [bigint, bigint];
}

export interface WasiHostP3 {
  'wasi:cli/environment@0.3': WasiCliEnvironmentP3;
  'wasi:cli/exit@0.3': WasiCliExit;
  'wasi:cli/stdin@0.3': WasiCliStdinP3;
  'wasi:cli/stdout@0.3': WasiCliOutputP3;
  'wasi:cli/stderr@0.3': WasiCliOutputP3;
  'wasi:cli/terminal-input@0.3': WasiCliTerminalInput;
  'wasi:cli/terminal-output@0.3': WasiCliTerminalOutput;
  'wasi:cli/terminal-stdin@0.3': WasiCliTerminalStdin;
  'wasi:cli/terminal-stdout@0.3': WasiCliTerminalStdout;
  'wasi:cli/terminal-stderr@0.3': WasiCliTerminalStderr;
  'wasi:clocks/monotonic-clock@0.3': WasiClocksMonotonicClockP3;
  'wasi:clocks/system-clock@0.3': WasiClocksSystemClockP3;
  'wasi:filesystem/types@0.3': WasiFilesystemTypesP3;
  'wasi:filesystem/preopens@0.3': WasiFilesystemPreopensP3;
  'wasi:http/types@0.3': WasiHttpTypesP3;
  'wasi:http/client@0.3': WasiHttpClientP3;
  'wasi:random/random@0.3': WasiRandomRandom;
  'wasi:random/insecure@0.3': WasiRandomInsecure;
  'wasi:random/insecure-seed@0.3': WasiRandomInsecureSeedP3;
  'wasi:sockets/types@0.3': WasiSocketsTypesP3;
  'wasi:sockets/ip-name-lookup@0.3': WasiSocketsIpNameLookupP3;
}

/** `wasi:sockets/types@0.3#tcp-socket`: `listen` hands out a stream of accepted sockets. */
export interface TcpSocketP3 {
  bind(localAddress: IpSocketAddress): void;
  connect(remoteAddress: IpSocketAddress): Async<void>;
  listen(): HostStream;
  send(data: StreamReader): HostFuture;
  receive(): [HostStream, HostFuture];
  getLocalAddress(): IpSocketAddress;
  getRemoteAddress(): IpSocketAddress;
  getIsListening(): boolean;
  getAddressFamily(): IpAddressFamily;
  setListenBacklogSize(value: bigint): void;
  getKeepAliveEnabled(): boolean;
  setKeepAliveEnabled(value: boolean): void;
  getKeepAliveIdleTime(): bigint;
  setKeepAliveIdleTime(value: bigint): void;
  getKeepAliveInterval(): bigint;
  setKeepAliveInterval(value: bigint): void;
  getKeepAliveCount(): number;
  setKeepAliveCount(value: number): void;
  getHopLimit(): number;
  setHopLimit(value: number): void;
  getReceiveBufferSize(): bigint;
  setReceiveBufferSize(value: bigint): void;
  getSendBufferSize(): bigint;
  setSendBufferSize(value: bigint): void;
}

/** `wasi:sockets/types@0.3#udp-socket`: datagrams as lists (send and receive are async). */
export interface UdpSocketP3 {
  bind(localAddress: IpSocketAddress): void;
  connect(remoteAddress: IpSocketAddress): void;
  disconnect(): void;
  send(data: Uint8Array, remoteAddress: IpSocketAddress | undefined): Async<void>;
  receive(): Async<[Uint8Array, IpSocketAddress]>;
  getLocalAddress(): IpSocketAddress;
  getRemoteAddress(): IpSocketAddress;
  getAddressFamily(): IpAddressFamily;
  getUnicastHopLimit(): number;
  setUnicastHopLimit(value: number): void;
  getReceiveBufferSize(): bigint;
  setReceiveBufferSize(value: bigint): void;
  getSendBufferSize(): bigint;
  setSendBufferSize(value: bigint): void;
}

/** `wasi:sockets/types@0.3`. */
export interface WasiSocketsTypesP3 {
  TcpSocket: { create(addressFamily: IpAddressFamily): TcpSocketP3 };
  UdpSocket: { create(addressFamily: IpAddressFamily): UdpSocketP3 };
}

/** `wasi:sockets/ip-name-lookup@0.3`. */
export interface WasiSocketsIpNameLookupP3 {
  resolveAddresses(name: string): Async<IpAddress[]>;
}
