/**
 * The contract between a binder and Skiff's WASI host: one shape per WIT interface Skiff
 * implements, keyed as `instanceImports` keys its host objects (without the version: every 0.2.x
 * binds to the same host). A binder that looks a member up here is checked by the compiler;
 * shapes.test.ts checks the same names against real components' imports.
 * Not here: `wasi:sockets/*` (not granted; every call traps naming the interface) and the
 * @unstable `wasi:clocks/timezone`.
 */
import type {
  WasiCliEnvironment,
  WasiCliExit,
  WasiCliStderr,
  WasiCliStdin,
  WasiCliStdout,
  WasiCliTerminalInput,
  WasiCliTerminalOutput,
  WasiCliTerminalStderr,
  WasiCliTerminalStdin,
  WasiCliTerminalStdout,
} from './cli.ts';
import type { WasiClocksMonotonicClock, WasiClocksWallClock } from './clocks.ts';
import type { WasiFilesystemPreopens, WasiFilesystemTypes } from './filesystem.ts';
import type { WasiHttpOutgoingHandler, WasiHttpTypes } from './http.ts';
import type { WasiIoError, WasiIoPoll, WasiIoStreams } from './io.ts';
import type { WasiHostP3 } from './p3.ts';
import type { WasiRandomInsecure, WasiRandomInsecureSeed, WasiRandomRandom } from './random.ts';

export interface WasiHost {
  'wasi:cli/environment': WasiCliEnvironment;
  'wasi:cli/exit': WasiCliExit;
  'wasi:cli/stdin': WasiCliStdin;
  'wasi:cli/stdout': WasiCliStdout;
  'wasi:cli/stderr': WasiCliStderr;
  'wasi:cli/terminal-input': WasiCliTerminalInput;
  'wasi:cli/terminal-output': WasiCliTerminalOutput;
  'wasi:cli/terminal-stdin': WasiCliTerminalStdin;
  'wasi:cli/terminal-stdout': WasiCliTerminalStdout;
  'wasi:cli/terminal-stderr': WasiCliTerminalStderr;
  'wasi:clocks/monotonic-clock': WasiClocksMonotonicClock;
  'wasi:clocks/wall-clock': WasiClocksWallClock;
  'wasi:filesystem/types': WasiFilesystemTypes;
  'wasi:filesystem/preopens': WasiFilesystemPreopens;
  'wasi:http/types': WasiHttpTypes;
  'wasi:http/outgoing-handler': WasiHttpOutgoingHandler;
  'wasi:io/error': WasiIoError;
  'wasi:io/poll': WasiIoPoll;
  'wasi:io/streams': WasiIoStreams;
  'wasi:random/random': WasiRandomRandom;
  'wasi:random/insecure': WasiRandomInsecure;
  'wasi:random/insecure-seed': WasiRandomInsecureSeed;
}

/** The interface names Skiff implements (0.2.x unversioned, 0.3.x as `…@0.3`), for run-time checks. */
export type WasiInterfaceName = keyof WasiHost | keyof WasiHostP3;
export type { WasiHttpOutgoingHandler, WasiHttpTypes } from './http.ts';
export type { WasiHostP3 } from './p3.ts';
