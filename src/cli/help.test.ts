import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMMAND_HELP } from './help.ts';

const SKIFF = join(import.meta.dirname, '..', '..', 'bin', 'skiff.js');
const skiff = (...args: string[]) => spawnSync(process.execPath, [SKIFF, ...args], { encoding: 'utf8' });

test('every command answers --help with its options and an example; --version prints the package version', () => {
  for (const command of ['up', 'run', 'inspect']) {
    const { status, stdout } = skiff(command, '--help');
    assert.equal(status, 0, command);
    assert.equal(stdout, COMMAND_HELP[command]);
    assert.match(stdout, /Example/);
  }
  const version = skiff('--version');
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^skiff \d+\.\d+\.\d+\n$/);
  // For run, --help after the file is the guest's argument, not Skiff's.
  const guest = skiff('run', 'fixtures/rust/cli/cli.wasm', '--help');
  assert.doesNotMatch(guest.stdout, /skiff run \[OPTIONS\]/);
});

test('the help of up and run lists exactly the options their parsers accept, and nothing refused', async () => {
  const src = (await import('node:fs')).readFileSync;
  for (const [command, file] of [
    ['up', 'up.ts'],
    ['run', 'run.ts'],
  ] as const) {
    const text = src(join(import.meta.dirname, file), 'utf8');
    const spec = /const SPEC = \{([\s\S]*?)\} as const;/.exec(text)?.[1] ?? '';
    const accepted = new Set([...spec.matchAll(/'?([a-z-]+)'?: '/g)].map((m) => m[1]));
    for (const grant of ['env', 'dir', 'allow-outbound', 'allow-bind']) accepted.add(grant);
    const listed = new Set(
      [...(COMMAND_HELP[command] as string).matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]),
    );
    // Accepted but refused as "not supported yet": not listed.
    for (const refused of ['build', 'watch']) accepted.delete(refused);
    assert.deepEqual([...listed].sort(), [...accepted].sort(), command);
  }
});
