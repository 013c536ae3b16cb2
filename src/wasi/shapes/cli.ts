/** Host shapes of `wasi:cli@0.2.x` (wit/deps/cli) that a component imports (`run` is an export). */
import type { InputStream, OutputStream } from './io.ts';
import type { ResourceClass, ResultValue } from './resource.ts';

/** `wasi:cli/environment`. */
export interface WasiCliEnvironment {
  getEnvironment(): Array<[string, string]>;
  getArguments(): string[];
  initialCwd(): string | undefined;
}

/** `wasi:cli/exit`. Neither returns: the guest's call never completes. */
export interface WasiCliExit {
  exit(status: ResultValue<undefined, undefined>): never;
  /** @unstable(feature = cli-exit-with-code); `statusCode` is a u8. */
  exitWithCode(statusCode: number): never;
}

/** `wasi:cli/stdin`. */
export interface WasiCliStdin {
  getStdin(): InputStream;
}

/** `wasi:cli/stdout`. */
export interface WasiCliStdout {
  getStdout(): OutputStream;
}

/** `wasi:cli/stderr`. */
export interface WasiCliStderr {
  getStderr(): OutputStream;
}

/** `wasi:cli/terminal-input#terminal-input`: a resource without methods. */
export type TerminalInput = object;
/** `wasi:cli/terminal-output#terminal-output`: a resource without methods. */
export type TerminalOutput = object;

/** `wasi:cli/terminal-input`. */
export interface WasiCliTerminalInput {
  TerminalInput: ResourceClass<TerminalInput>;
}

/** `wasi:cli/terminal-output`. */
export interface WasiCliTerminalOutput {
  TerminalOutput: ResourceClass<TerminalOutput>;
}

/** `wasi:cli/terminal-stdin`. */
export interface WasiCliTerminalStdin {
  getTerminalStdin(): TerminalInput | undefined;
}

/** `wasi:cli/terminal-stdout`. */
export interface WasiCliTerminalStdout {
  getTerminalStdout(): TerminalOutput | undefined;
}

/** `wasi:cli/terminal-stderr`. */
export interface WasiCliTerminalStderr {
  getTerminalStderr(): TerminalOutput | undefined;
}
