import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMMAND_HELP } from './help.ts';

const SKIFF = join(import.meta.dirname, '..', '..', 'bin', 'skiff.js');
const skiff = (...args: string[]) => spawnSync(process.execPath, [SKIFF, ...args], { encoding: 'utf8' });

test('every command answers --help with its options and an example; --version prints the package version', () => {
  for (const command of ['up', 'run', 'inspect', 'new', 'build']) {
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

test('the help of up, run and inspect lists exactly the options their parsers accept, and nothing refused', async () => {
  const src = (await import('node:fs')).readFileSync;
  for (const [command, file] of [
    ['up', 'up.ts'],
    ['run', 'run.ts'],
    ['inspect', 'inspect.ts'],
    ['new', 'new.ts'],
    ['build', 'build.ts'],
    ['profile', 'profile.ts'],
  ] as const) {
    const text = src(join(import.meta.dirname, file), 'utf8');
    const spec = /const SPEC = \{([\s\S]*?)\} as const;/.exec(text)?.[1] ?? '';
    const accepted = new Set([...spec.matchAll(/'?([a-z-]+)'?: '/g)].map((m) => m[1]));
    if (command === 'up' || command === 'run')
      for (const grant of ['env', 'dir', 'allow-outbound', 'allow-bind']) accepted.add(grant);
    const listed = new Set(
      [...(COMMAND_HELP[command] as string).matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]),
    );
    assert.deepEqual([...listed].sort(), [...accepted].sort(), command);
  }
});

test('inspect says whether Skiff provides what a component imports, and names what it does not', async () => {
  const { componentEmbed, componentNew, parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const embedded = await componentEmbed({
    binary: await parse('(module (import "acme:billing/api@1.0.0" "charge" (func)))'),
    witSource: 'package acme:billing@1.0.0;\ninterface api { charge: func(); }\nworld w { import api; }\n',
    world: 'w',
  });
  const file = join(await mkdtemp(join(tmpdir(), 'skiff-inspect-')), 'billing.wasm');
  await writeFile(file, await componentNew(embedded, undefined));
  const refused = skiff('inspect', file);
  assert.equal(refused.status, 0, refused.stderr);
  assert.match(
    refused.stdout,
    /component "billing" imports what Skiff cannot provide[^\n]*\n {2}acme:billing\/api@1\.0\.0: no Skiff capability provides it/,
  );
  const provided = skiff('inspect', 'fixtures/rust/visitors/visitors.wasm');
  assert.match(provided.stdout, /Skiff provides every interface this component imports\.\n$/);
});
