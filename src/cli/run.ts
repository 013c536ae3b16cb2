/** `skiff run [options] FILE.wasm [ARGS…]` — run a wasi:cli command; the exit code is the guest's. */
import { resolve } from 'node:path';
import { describeTrap } from '../engine/trap.ts';
import { runCommand } from '../triggers/command/run-command.ts';
import { GRANT_OPTIONS, grantFlags, parseOptions, sizeOption, stringOption, UsageError } from './options.ts';

const SPEC = {
  ...GRANT_OPTIONS,
  timeout: 'string',
  'max-memory': 'string',
} as const;

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC, true);
  const [file, ...args] = o.positionals;
  if (!file)
    throw new UsageError('usage: skiff run [--env K=V]... [--dir HOST::GUEST]... FILE.wasm [ARGS...]');
  for (const unsupported of ['timeout'] as const) {
    if (stringOption(o, unsupported))
      throw new UsageError(`--${unsupported} is not supported yet by this version of Skiff`);
  }
  const outcome = await runCommand(resolve(file), {
    args,
    ...grantFlags(o),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    maxMemoryBytes: sizeOption(o, 'max-memory'),
  });
  if (outcome.trap !== undefined)
    process.stderr.write(`error: ${file} trapped:\n${describeTrap(outcome.trap)}\n`);
  return outcome.exitCode;
}
