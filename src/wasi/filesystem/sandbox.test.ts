/**
 * A real guest (the C `cli` fixture, `--cat PATH`) run through `skiff run` tries to read past its
 * mount every way a path allows; only what is inside the mount may ever reach its stdout.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runSkiff } from '../../../test/support/skiff-process.ts';

const CLI = 'fixtures/c/cli/cli.wasm';

const outside = mkdtempSync(join(tmpdir(), 'skiff-sandbox-'));
after(() => rmSync(outside, { recursive: true, force: true }));
const mount = join(outside, 'mount');
mkdirSync(join(mount, 'sub'), { recursive: true });
writeFileSync(join(mount, 'hello.txt'), 'hello from the mount\n');
writeFileSync(join(outside, 'secret.txt'), 'SECRET\n');
symlinkSync('../secret.txt', join(mount, 'relative-out'));
symlinkSync(join(outside, 'secret.txt'), join(mount, 'absolute-out'));
symlinkSync('..', join(mount, 'sub', 'up'));
symlinkSync('../hello.txt', join(mount, 'sub', 'inside'));

async function cat(path: string, mounts = [`${mount}::/`]) {
  const { code, stdout, stderr } = await runSkiff([
    'run',
    ...mounts.flatMap((m) => ['--dir', m]),
    CLI,
    '--cat',
    path,
  ]).done;
  assert.doesNotMatch(stdout, /SECRET/, `${path} leaked a file from outside the mount`);
  return { code, stdout, stderr };
}

test('a guest reads files inside its mount, also through symlinks that stay inside', async () => {
  for (const path of ['hello.txt', 'sub/../hello.txt', 'sub/inside']) {
    const { code, stdout } = await cat(path);
    assert.equal(code, 0, path);
    assert.match(stdout, /hello from the mount/, path);
  }
});

test('`..` past the mount root is not permitted', async () => {
  for (const path of ['../secret.txt', 'sub/../../secret.txt', 'sub/up/../secret.txt']) {
    const { code, stderr } = await cat(path);
    assert.equal(code, 1, path);
    assert.match(stderr, /cat failed: Operation not permitted/, path);
  }
});

test('symlinks that lead out of the mount are not followed', async () => {
  for (const path of ['relative-out', 'absolute-out']) {
    const { code, stderr } = await cat(path);
    assert.equal(code, 1, path);
    assert.match(stderr, /cat failed: Operation not permitted/, path);
  }
});

test('a host absolute path means a path inside the mount, where it does not exist', async () => {
  const { code, stderr } = await cat(join(outside, 'secret.txt'));
  assert.equal(code, 1);
  assert.match(stderr, /cat failed: No such file or directory/);
});

test('without a mount the guest sees no files at all', async () => {
  const { code, stderr } = await cat('hello.txt', []);
  assert.equal(code, 1);
  assert.match(stderr, /cat failed:/);
});
