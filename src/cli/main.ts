/** The `skiff` command line: a thin layer; each command lives in its own file. */

import { CapabilityConfigError } from '../capabilities/capability.ts';
import { UnprovidedImportError } from '../capabilities/provided.ts';
import { ComponentLoadError } from '../engine/errors.ts';
import { ManifestError } from '../manifest/errors.ts';
import { ListenError } from '../triggers/http/server.ts';
import { GrantError } from '../wasi/imports.ts';
import { build } from './build.ts';
import { asksForHelp, COMMAND_HELP, USAGE, VERSION } from './help.ts';
import { newApp } from './new.ts';
import { UsageError } from './options.ts';
import { run } from './run.ts';
import { up } from './up.ts';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  up,
  run,
  build,
  new: newApp,
  // inspect prints WIT with jco's wasm-tools, which takes a good part of a start-up to load.
  inspect: async (argv) => (await import('./inspect.ts')).inspect(argv),
  types: async (argv) => (await import('./types.ts')).types(argv),
  profile: async (argv) => (await import('./profile.ts')).profile(argv),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write((topic && COMMAND_HELP[topic]) || USAGE);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`skiff ${VERSION}\n`);
    return 0;
  }
  const help = COMMAND_HELP[command];
  if (help && asksForHelp(command, rest)) {
    process.stdout.write(help);
    return 0;
  }
  const handler = COMMANDS[command];
  try {
    if (!handler) throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    return await handler(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (
      e instanceof ManifestError ||
      e instanceof ComponentLoadError ||
      e instanceof ListenError ||
      e instanceof GrantError ||
      e instanceof CapabilityConfigError ||
      e instanceof UnprovidedImportError
    ) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
