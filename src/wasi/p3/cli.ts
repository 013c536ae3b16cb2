/**
 * `wasi:cli@0.3` without its stdio streams: arguments, environment and exit, from the same
 * per-instance state as 0.2 (cli.ts), so a component importing both versions sees one world.
 */
import { type CliState, cliImports } from '../cli.ts';

export function cliImportsP3(state: CliState) {
  const p2 = cliImports(state);
  return {
    'wasi:cli/environment@0.3': {
      getEnvironment: p2['wasi:cli/environment'].getEnvironment,
      getArguments: p2['wasi:cli/environment'].getArguments,
      getInitialCwd: p2['wasi:cli/environment'].initialCwd,
    },
    'wasi:cli/exit@0.3': p2['wasi:cli/exit'],
    'wasi:cli/terminal-input@0.3': p2['wasi:cli/terminal-input'],
    'wasi:cli/terminal-output@0.3': p2['wasi:cli/terminal-output'],
    'wasi:cli/terminal-stdin@0.3': p2['wasi:cli/terminal-stdin'],
    'wasi:cli/terminal-stdout@0.3': p2['wasi:cli/terminal-stdout'],
    'wasi:cli/terminal-stderr@0.3': p2['wasi:cli/terminal-stderr'],
  };
}
