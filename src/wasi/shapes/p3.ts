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
  StreamReader,
} from '../../engine/binding/canonical-abi/streams.ts';
import type {
  WasiCliExit,
  WasiCliTerminalInput,
  WasiCliTerminalOutput,
  WasiCliTerminalStderr,
  WasiCliTerminalStdin,
  WasiCliTerminalStdout,
} from './cli.ts';
import type { Datetime } from './clocks.ts';
import type { WasiRandomInsecure, WasiRandomRandom } from './random.ts';

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
    consumeBody(request: never, done: FutureReader): [HostStream, HostFuture];
  };
  Response: {
    new: (headers: never, ...body: BodyIn) => [object, HostFuture];
    consumeBody(response: never, done: FutureReader): [HostStream, HostFuture];
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
  'wasi:http/types@0.3': WasiHttpTypesP3;
  'wasi:http/client@0.3': WasiHttpClientP3;
  'wasi:random/random@0.3': WasiRandomRandom;
  'wasi:random/insecure@0.3': WasiRandomInsecure;
  'wasi:random/insecure-seed@0.3': WasiRandomInsecureSeedP3;
}
