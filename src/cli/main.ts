/** The `skiff` command line: a thin layer; each command lives in its own file. */

import { CapabilityConfigError } from '../capabilities/capability.ts';
import { UnprovidedImportError } from '../capabilities/provided.ts';
import { ComponentLoadError } from '../engine/errors.ts';
import { ManifestError } from '../manifest/errors.ts';
import { ListenError } from '../triggers/http/server.ts';
import { GrantError } from '../wasi/imports.ts';
import { UsageError } from './options.ts';
import { run } from './run.ts';
import { up } from './up.ts';

const USAGE = `skiff — serve and run WebAssembly components

  skiff up [--from PATH] [--listen HOST:PORT] [--component FILE.wasm] [--route ROUTE]
           [--env K=V]... [--dir HOST::GUEST[::rw]]... [--allow-outbound URL]...
           [--allow-bind tcp://IP:PORT]... [--timeout 30s] [--max-cpu 5s] [--max-memory 128MiB]
           [--max-concurrent 2048] [--time-slice 2ms|off] [--log-requests] [--workers N] [--binder skiff|jco]
           [--runtime-config runtime-config.toml]
  skiff run [--env K=V]... [--dir HOST::GUEST[::rw]]... [--allow-outbound URL]... [--timeout 2s]
            [--max-cpu 1s] [--allow-bind tcp://IP:PORT]... [--max-memory 64MiB] [--binder skiff|jco]
            FILE.wasm [ARGS...]
  skiff inspect FILE.wasm
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  up,
  run,
  // inspect prints WIT with jco's wasm-tools, which takes a good part of a start-up to load.
  inspect: async (argv) => (await import('./inspect.ts')).inspect(argv),
};
const NOT_YET = new Set(['build', 'new']);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const handler = COMMANDS[command];
  try {
    if (NOT_YET.has(command))
      throw new UsageError(`\`skiff ${command}\` is not available yet in this version of Skiff`);
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
