/** `skiff run [options] FILE.wasm [ARGS…]` — run a wasi:cli command; the exit code is the guest's. */
import { resolve } from 'node:path';
import { describeTrap, guestBacktrace } from '../engine/trap.ts';
import { chooseLogFormat, createHostLogger } from '../observability/logger.ts';
import { runCommand } from '../triggers/command/run-command.ts';
import { binderOption, durationOption, timeSliceOption } from './limit-options.ts';
import {
  GRANT_OPTIONS,
  grantFlags,
  logFormatOption,
  parseOptions,
  sizeOption,
  UsageError,
} from './options.ts';

const SPEC = {
  ...GRANT_OPTIONS,
  timeout: 'string',
  'max-cpu': 'string',
  'time-slice': 'string',
  'max-memory': 'string',
  binder: 'string',
  'log-format': 'string',
} as const;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC, true);
  const [file, ...args] = o.positionals;
  if (!file)
    throw new UsageError(
      'usage: skiff run [--env K=V]... [--dir HOST::GUEST]... [--timeout 2s] [--max-cpu 1s] [--max-memory 64MiB] FILE.wasm [ARGS...]',
    );
  // The host's own lines (a trap, a limit) on stderr in either format; stdout is the guest's.
  const format = chooseLogFormat(logFormatOption(o), undefined, process.stderr.isTTY === true);
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
  const { trap, timeout, cpuLimit } = outcome;
  if (trap === undefined && !timeout && !cpuLimit) return outcome.exitCode;
  const log = createHostLogger(format, { stdout: 2, stderr: 2 });
  if (trap !== undefined) log.error(`${file} trapped:\n${describeTrap(trap)}`);
  if (cpuLimit) log.error(`${file} ${cpuLimit.message}; stopped:\n${guestBacktrace(cpuLimit.cause, '  ')}`);
  if (timeout) {
    const where = timeout.whileRunning
      ? `stopped while running:\n${guestBacktrace(timeout.cause, '  ')}`
      : 'stopped while waiting on I/O';
    log.error(`${file} ${timeout.message}; ${where}`);
  }
  await log.close();
  return outcome.exitCode;
}
