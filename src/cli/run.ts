/** `skiff run [options] FILE.wasm [ARGS…]` — run a wasi:cli command; the exit code is the guest's. */
import { resolve } from 'node:path';
import { describeTrap, guestBacktrace } from '../engine/trap.ts';
import { runCommand } from '../triggers/command/run-command.ts';
import { binderOption, durationOption, timeSliceOption } from './limit-options.ts';
import { GRANT_OPTIONS, grantFlags, parseOptions, sizeOption, UsageError } from './options.ts';

const SPEC = {
  ...GRANT_OPTIONS,
  timeout: 'string',
  'max-cpu': 'string',
  'time-slice': 'string',
  'max-memory': 'string',
  binder: 'string',
} as const;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC, true);
  const [file, ...args] = o.positionals;
  if (!file)
    throw new UsageError(
      'usage: skiff run [--env K=V]... [--dir HOST::GUEST]... [--timeout 2s] [--max-cpu 1s] [--max-memory 64MiB] FILE.wasm [ARGS...]',
    );
  const timeoutMs = durationOption(o, 'timeout');
  const outcome = await runCommand(resolve(file), {
    args,
    ...grantFlags(o),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    maxMemoryBytes: sizeOption(o, 'max-memory'),
    timeoutMs,
    maxCpuMs: durationOption(o, 'max-cpu'),
    timeSliceMs: timeSliceOption(o),
    binder: binderOption(o),
  });
  if (outcome.trap !== undefined)
    process.stderr.write(`error: ${file} trapped:\n${describeTrap(outcome.trap)}\n`);
  const { timeout, cpuLimit } = outcome;
  if (cpuLimit)
    process.stderr.write(
      `error: ${file} ${cpuLimit.message}; stopped:\n${guestBacktrace(cpuLimit.cause, '  ')}\n`,
    );
  if (timeout) {
    const where = timeout.whileRunning
      ? `stopped while running:\n${guestBacktrace(timeout.cause, '  ')}`
      : 'stopped while waiting on I/O';
    process.stderr.write(`error: ${file} ${timeout.message}; ${where}\n`);
  }
  return outcome.exitCode;
}
