/**
 * bin/skiff.js on a Node older than 24 (whatever older `node` is on PATH, such as the system's one
 * beside the repository's Node 24): one line that names the Node found and how to get 24, in a
 * checkout and in an installed package. Skipped, saying so, where no older Node is installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { REPO } from '../support/skiff-process.ts';

function olderNode(): { path: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, 'node');
    if (!dir || !existsSync(path)) continue;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    // realpath: what that Node reports as process.execPath.
    if (Number(version.slice(1).split('.')[0]) < 24) return { path: realpathSync(path), version };
  }
  return undefined;
}

const old = olderNode();
const skip = old ? false : 'no Node older than 24 on PATH';
const installed = mkdtempSync(join(tmpdir(), 'skiff-old-node-'));
after(() => rmSync(installed, { recursive: true, force: true }));

function runOn(node: string, bin: string) {
  return spawnSync(node, [bin, '--version'], { encoding: 'utf8', env: { ...process.env, PATH: '' } });
}

test('in the checkout: one line, and the npm commands that bring Node 24', { skip }, () => {
  const { path, version } = old as { path: string; version: string };
  const { status, stdout, stderr } = runOn(path, join(REPO, 'bin', 'skiff.js'));
  assert.equal(status, 1);
  assert.equal(stdout, '');
  assert.equal(stderr.split('\n').length, 2, stderr); // one line and its newline
  assert.ok(stderr.startsWith(`skiff needs Node.js 24 or newer (for JSPI), but this is Node ${version} (`));
  assert.match(stderr, /npx skiff …/);
});

test('installed (no src/ beside bin/): one line with npx -p node@24 and where to get Node 24', {
  skip,
}, () => {
  const { path, version } = old as { path: string; version: string };
  mkdirSync(join(installed, 'bin'));
  copyFileSync(join(REPO, 'bin', 'skiff.js'), join(installed, 'bin', 'skiff.js'));
  copyFileSync(join(REPO, 'package.json'), join(installed, 'package.json')); // "type": "module"
  const { status, stderr } = runOn(path, join(installed, 'bin', 'skiff.js'));
  assert.equal(status, 1);
  assert.equal(
    stderr,
    `skiff needs Node.js 24 or newer (for JSPI), but this is Node ${version} (${path}); ` +
      'run it as `npx -p node@24 skiff …`, or install Node 24 (`nvm install 24`, or https://nodejs.org).\n',
  );
});
