/**
 * Two apps in one host process (the embedding API: two HTTP triggers started side by side) see
 * nothing of each other: not each other's files, environment or instances, even when both run the
 * same component, and even when one of them is hostile.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadApp } from '../../src/manifest/load.ts';
import type { HostLog } from '../../src/triggers/http/log.ts';
import { type RunningHttpServer, startHttpServer } from '../../src/triggers/http/server.ts';
import { REPO, TEST_CACHE_DIR } from '../support/skiff-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'skiff-two-apps-'));
const silent: HostLog = { info() {}, warn() {}, error() {}, guest() {}, trap() {} };
const servers: Record<'a' | 'b', RunningHttpServer> = {} as Record<'a' | 'b', RunningHttpServer>;

/** An app folder with its own data and a manifest granting it (and only it) that data and an env var. */
function writeApp(name: 'a' | 'b'): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', `${name}.txt`), `${name}'s own data\n`);
  writeFileSync(
    join(dir, 'skiff.toml'),
    `skiff_manifest_version = 1
[application]
name = "app-${name}"

[[trigger.http]]
route = "/hostile/..."
component = "hostile"

[[trigger.http]]
route = "/count"
component = "counter"

[component.hostile]
source = "${join(REPO, 'fixtures/rust/hostile/hostile.wasm')}"
environment = { APP = "${name}" }
files = [{ source = "data", destination = "/data" }]
timeout = "500ms"

[component.counter]
source = "${join(REPO, 'fixtures/rust/counter/counter.wasm')}"
lifecycle = "reuse"
`,
  );
  return dir;
}

before(async () => {
  for (const name of ['a', 'b'] as const) {
    const app = await loadApp(writeApp(name));
    servers[name] = await startHttpServer(app, {
      host: '127.0.0.1',
      port: 0,
      log: silent,
      cacheDir: TEST_CACHE_DIR,
    });
  }
});
after(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  rmSync(scratch, { recursive: true, force: true });
});

async function get(app: 'a' | 'b', path: string) {
  const response = await fetch(`${servers[app].url}${path}`);
  return { status: response.status, body: await response.text() };
}

const read = (app: 'a' | 'b', path: string) => get(app, `/hostile/read?path=${encodeURIComponent(path)}`);

test('each app reads its own files and nothing of the other app’s, by any path', async () => {
  assert.deepEqual(await read('a', '/data/a.txt'), { status: 200, body: "a's own data\n" });
  assert.deepEqual(await read('b', '/data/b.txt'), { status: 200, body: "b's own data\n" });
  for (const path of ['/data/b.txt', join(scratch, 'b', 'data', 'b.txt'), '/data/../../b/data/b.txt']) {
    const attempt = await read('a', path);
    assert.equal(attempt.status, 403, `${path}: ${attempt.body}`);
  }
});

test('each app sees only its own environment', async () => {
  assert.equal((await get('a', '/hostile/env')).body, 'APP=a\n');
  assert.equal((await get('b', '/hostile/env')).body, 'APP=b\n');
});

test('the same component in two apps shares no instance: state kept in one is not seen by the other', async () => {
  assert.equal((await get('a', '/count')).body, '1\n');
  assert.equal((await get('a', '/count')).body, '2\n');
  assert.equal((await get('a', '/count')).body, '3\n');
  assert.equal((await get('b', '/count')).body, '1\n', 'app b starts from its own instance');
  assert.equal((await get('a', '/count')).body, '4\n');
});

test('one app’s guest stuck in a loop is stopped at its own timeout; the other app keeps answering', async () => {
  const [stuck, other] = await Promise.all([
    get('a', '/hostile/loop'),
    new Promise((r) => setTimeout(r, 100)).then(() => get('b', '/hostile/ok')),
  ]);
  assert.equal(stuck.status, 504);
  assert.deepEqual(other, { status: 200, body: 'ok\n' });
});
