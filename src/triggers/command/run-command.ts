/**
 * The command trigger: runs a `wasi:cli/run` component (or a preview1 core module, adapted on the
 * fly) once, with stdio passed through and nothing else granted beyond what the caller lists.
 */
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { type BinderName, Component } from '../../engine/component.ts';
import { interruptController } from '../../engine/interrupt/controller.ts';
import { CpuAccount } from '../../engine/interrupt/time-slice.ts';
import { CpuLimitExceeded, DeadlineExceeded, withDeadline } from '../../engine/interrupt/with-deadline.ts';
import type { FileMount } from '../../manifest/app.ts';
import { GuestExit } from '../../wasi/cli.ts';
import { instanceImports, prepareGrants } from '../../wasi/imports.ts';
import { readableSource, writableSink } from '../../wasi/io/node-streams.ts';

export interface RunOptions {
  args: string[];
  environment: Record<string, string>;
  files: FileMount[];
  allowedOutboundHosts: string[];
  /** Local addresses wasi:sockets may bind (`tcp://127.0.0.1:*`); none when absent. */
  allowedBindAddresses?: string[] | undefined;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  cacheDir?: string;
  /** Caps each linear memory of the guest (none by default for commands). */
  maxMemoryBytes?: number | undefined;
  /** Wall-clock limit of the whole run (none by default for commands). */
  timeoutMs?: number | undefined;
  /** Guest CPU time of the whole run (none by default for commands). */
  maxCpuMs?: number | undefined;
  /** How long the guest runs before it yields to the rest of the thread; 0 for never (default 2 ms). */
  timeSliceMs?: number | undefined;
  /** Skiff's binder unless `jco` is asked for. */
  binder?: BinderName | undefined;
}

/** Exit status of a guest that trapped, as a process killed by SIGABRT (wasmtime does the same). */
export const TRAP_EXIT_CODE = 134;

/** Exit status of a guest stopped at its timeout, as timeout(1) reports it. */
export const TIMEOUT_EXIT_CODE = 124;

/** Exit status of a guest stopped at its CPU limit, as a process killed by SIGXCPU (`ulimit -t`). */
export const CPU_LIMIT_EXIT_CODE = 152;

export type RunOutcome = {
  exitCode: number;
  trap?: unknown;
  timeout?: DeadlineExceeded;
  cpuLimit?: CpuLimitExceeded;
};

export async function runCommand(file: string, options: RunOptions): Promise<RunOutcome> {
  const component = await Component.load(file, {
    cacheDir: options.cacheDir,
    adaptCoreModule: 'command',
    maxMemoryBytes: options.maxMemoryBytes,
    binder: options.binder,
  });
  const exportName = component.requireEntry('command');
  const grants = prepareGrants(basename(file), {
    environment: options.environment,
    files: options.files,
    allowedOutboundHosts: options.allowedOutboundHosts,
    allowedBindAddresses: options.allowedBindAddresses,
  });
  const instance = instanceImports(grants, {
    componentId: basename(file),
    args: [basename(file), ...options.args],
    cwd: options.files.some((m) => m.guestPath === '/') ? '/' : undefined,
    stdin: readableSource(options.stdin),
    stdout: writableSink(options.stdout),
    stderr: writableSink(options.stderr),
    log: (message) => options.stderr.write(`skiff: ${message}\n`),
  });
  try {
    if (options.timeSliceMs !== undefined) interruptController().setQuantum(options.timeSliceMs);
    const watching = interruptController().startWatchdog();
    const guest = await component.instantiate(instance.imports);
    await watching;
    try {
      await withDeadline(
        guest.deadline,
        options.timeoutMs,
        () => guest.exports[exportName].run(),
        new CpuAccount(guest.deadline, options.maxCpuMs),
      );
    } finally {
      guest.dispose();
    }
    return { exitCode: 0 };
  } catch (e) {
    if (e instanceof GuestExit) return { exitCode: e.code };
    if (e instanceof DeadlineExceeded) return { exitCode: TIMEOUT_EXIT_CODE, timeout: e };
    if (e instanceof CpuLimitExceeded) return { exitCode: CPU_LIMIT_EXIT_CODE, cpuLimit: e };
    // `run` returning `err` (payload-less) surfaces from the glue as a thrown undefined or a
    // ComponentError: a failed run, not a trap.
    if (e === undefined || (e instanceof Error && e.name === 'ComponentError')) return { exitCode: 1 };
    return { exitCode: TRAP_EXIT_CODE, trap: e };
  } finally {
    instance.dispose();
  }
}
