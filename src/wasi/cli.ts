/**
 * `wasi:cli` — arguments, environment, stdio, exit. Everything comes from the per-instance context:
 * the guest sees only what the manifest or the command line granted, never the host's own env.
 */
import { type ByteSink, type ByteSource, InputStream, OutputStream } from './io/streams.ts';
import type { WasiHost } from './shapes/index.ts';

/** Thrown through the guest's frames when it calls `exit`; the runner turns it into an exit code. */
export class GuestExit extends Error {
  override name = 'GuestExit';
  readonly code: number;
  constructor(code: number) {
    super(`guest exited with code ${code}`);
    this.code = code;
  }
}

export interface CliState {
  args: string[];
  env: Array<[string, string]>;
  cwd: string | undefined;
  stdin: ByteSource;
  stdout: ByteSink;
  stderr: ByteSink;
}

/**
 * Guests may ask for stdout on every write and drop it after (Rust's std does): each call gets a
 * new stream over the shared sink, and dropping one must not close the sink. The instance closes it.
 */
const unclosable = <T extends { close?: () => void }>(end: T): T => ({ ...end, close: undefined });

/** The guest is never attached to a terminal: output is logged or piped. */
class TerminalInput {}
class TerminalOutput {}

/** The `wasi:cli/*` interfaces a component imports (`run` is one it exports). */
export type CliImports = Pick<WasiHost, Extract<keyof WasiHost, `wasi:cli/${string}`>>;

export function cliImports(state: CliState): CliImports {
  return {
    'wasi:cli/environment': {
      getEnvironment: () => state.env,
      getArguments: () => state.args,
      initialCwd: () => state.cwd,
    },
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw new GuestExit(status.tag === 'ok' ? 0 : 1);
      },
      exitWithCode(code: number): never {
        throw new GuestExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: () => new InputStream(unclosable(state.stdin)) },
    'wasi:cli/stdout': { getStdout: () => new OutputStream(unclosable(state.stdout)) },
    'wasi:cli/stderr': { getStderr: () => new OutputStream(unclosable(state.stderr)) },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  };
}
