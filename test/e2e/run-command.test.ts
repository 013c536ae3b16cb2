/** `skiff run` with every cli fixture: args, env and files only as granted, stdio, exit codes. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runSkiff } from '../support/skiff-process.ts';

/** Components, and preview1 core modules that `skiff run` must adapt on the fly. */
const COMMANDS = [
  'fixtures/rust/cli/cli.wasm',
  'fixtures/c/cli/cli.wasm',
  'fixtures/c/cli/cli.core.wasm',
  'fixtures/go/cli/cli.core.wasm',
];

const dataDir = mkdtempSync(join(tmpdir(), 'skiff-run-'));
writeFileSync(join(dataDir, 'note.txt'), 'granted file\n');
after(() => rmSync(dataDir, { recursive: true, force: true }));

for (const file of COMMANDS) {
  describe(file, () => {
    test('arguments after the file go to the guest; the host environment does not', async () => {
      process.env.SKIFF_TEST_SECRET = 'must-not-leak';
      const { code, stdout, stderr } = await runSkiff(['run', file, 'one', 'two']).done;
      assert.equal(code, 0, stderr);
      assert.equal(stdout, 'args: one two\n');
      assert.equal(stderr, 'done\n');
    });

    test('--env grants exactly the listed variables', async () => {
      const { code, stdout } = await runSkiff(['run', '--env', 'B=2', '--env', 'A=1', file]).done;
      assert.equal(code, 0);
      assert.equal(stdout, 'args:\nenv: A=1\nenv: B=2\n');
    });

    test('a file is readable only inside a --dir mount', async () => {
      const granted = await runSkiff(['run', '--dir', `${dataDir}::/data`, file, '--cat', '/data/note.txt'])
        .done;
      assert.equal(granted.code, 0, granted.stderr);
      assert.equal(granted.stdout, 'args: --cat /data/note.txt\ngranted file\n');
      const denied = await runSkiff(['run', file, '--cat', `${dataDir}/note.txt`]).done;
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /^cat failed: /);
    });

    test('stdin passes through and the exit code is the guest’s', async () => {
      const { code, stdout } = await runSkiff(['run', file, '--stdin', '--exit', '7'], {
        input: 'piped input\n',
      }).done;
      assert.equal(code, 7);
      assert.equal(stdout, 'args: --stdin --exit 7\npiped input\n');
    });
  });
}
