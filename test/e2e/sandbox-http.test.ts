/**
 * Deny by default, per component, inside one app: each component sees exactly its own grants —
 * environment and files from the manifest, nothing from the host — and its output is logged
 * under its own id.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const appDir = mkdtempSync(join(tmpdir(), 'skiff-sandbox-'));
let skiff: SkiffProcess;

before(async () => {
  mkdirSync(join(appDir, 'a-data'));
  writeFileSync(join(appDir, 'a-data', 'note.txt'), 'only for a\n');
  writeFileSync(join(appDir, 'outside.txt'), 'not mounted\n');
  writeFileSync(
    join(appDir, 'skiff.toml'),
    `skiff_manifest_version = 1
[application]
name = "sandbox"
[[trigger.http]]
route = "/a/..."
component = "a"
[[trigger.http]]
route = "/b/..."
component = "b"
[component.a]
source = "${REPO}/fixtures/rust/hello/hello.wasm"
environment = { WHO = "a", EXTRA = "x=y" }
files = [{ source = "a-data", destination = "/data" }]
[component.b]
source = "${REPO}/fixtures/c/hello/hello.wasm"
environment = { WHO = "b" }
`,
  );
  process.env.SKIFF_HOST_SECRET = 'must-not-leak';
  skiff = await startSkiffUp(['--from', appDir]);
});

after(async () => {
  await skiff?.stop();
  rmSync(appDir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const res = await fetch(`${skiff.url}${path}`);
  return { status: res.status, body: await res.text() };
};

test('each component sees exactly the environment its manifest entry grants', async () => {
  assert.deepEqual(await get('/a/env'), { status: 200, body: 'EXTRA=x=y\nWHO=a\n' });
  assert.deepEqual(await get('/b/env'), { status: 200, body: 'WHO=b\n' });
});

test('files are visible only through the component’s own mounts', async () => {
  assert.deepEqual(await get('/a/file/data/note.txt'), { status: 200, body: 'only for a\n' });
  assert.deepEqual(await get('/b/file/data/note.txt'), { status: 404, body: 'cannot read /data/note.txt\n' });
  assert.equal((await get(`/a/file${appDir}/outside.txt`)).status, 404);
  assert.equal((await get('/a/file/etc/passwd')).status, 404);
});

test('guest output goes to the host log, each line prefixed with its component id', async () => {
  await get('/a/logged');
  await get('/b/logged');
  await skiff.waitForOutput(/^\[a\] hello: GET \/a\/logged$/m);
  await skiff.waitForOutput(/^\[b\] hello: GET \/b\/logged$/m);
});
