/**
 * `skiff up --from spin.toml`: a Spin 2/3 manifest (version 2) runs as written, over real HTTP on
 * loopback, with the repo's spin-sdk guests — spin-sdk 5 (key-value, variables) under a declared
 * component and spin-sdk 7 (WASI 0.3) as an inline component; what Skiff cannot honour is refused
 * by name at its line, and the server does not start.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, runSkiff, type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const SPIN_KV = join(REPO, 'fixtures/rust/spin-kv/spin-kv.wasm');
const SPIN_P3_HELLO = join(REPO, 'fixtures/rust/spin-p3-hello/spin-p3-hello.wasm');

/** What `spin new http-rust` and `spin add` would leave, pointed at the fixtures. */
const SPIN_TOML = `spin_manifest_version = 2

[application]
name = "spin-app"
version = "0.1.0"
authors = ["Someone <someone@example.com>"]
description = "A Spin app, served by Skiff"

[variables]
greeting = { default = "welcome", description = "the x-greeting header" }

[[trigger.http]]
route = "/kv/..."
component = "kv"

[[trigger.http]]
id = "hello"
route = "/hello"
component = { source = "${SPIN_P3_HELLO}" }

[[trigger.http]]
route = { private = true }
component = "internal"

[component.kv]
source = "${SPIN_KV}"
key_value_stores = ["default"]
variables = { greeting = "{{ greeting }}" }
allowed_outbound_hosts = []
[component.kv.build]
command = ["cargo build --target wasm32-wasip2 --release", "echo built"]
watch = ["src/**/*.rs"]

[component.internal]
source = "${SPIN_KV}"
`;

let dir = '';
let server: SkiffProcess;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-spin-'));
  await writeFile(join(dir, 'spin.toml'), SPIN_TOML);
  server = await startSkiffUp(['--from', join(dir, 'spin.toml')]);
});
after(() => server?.stop());

test('the spin-sdk 5 component gets its key-value store and its variable, on its route', async () => {
  const health = await fetch(`${server.url}/kv/api/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'healthy', runtime: 'wasm' });
  assert.equal(health.headers.get('x-greeting'), 'welcome');
  for (const count of [1, 2]) {
    const response = await fetch(`${server.url}/kv/api/visitors`, { method: 'POST' });
    assert.deepEqual(await response.json(), { path: '/api/visitors', count });
  }
  // key_value_stores = ["default"] is the only grant: another label is access-denied.
  const other = await fetch(`${server.url}/kv/api/open?label=cache`);
  assert.equal(other.status, 403);
  assert.deepEqual(await other.json(), { label: 'cache', error: 'access-denied' });
});

test('the inline spin-sdk 7 component serves its route; a private route serves nothing', async () => {
  const hello = await fetch(`${server.url}/hello`);
  assert.equal(hello.status, 200);
  assert.equal(await hello.text(), 'Hello, Fermyon!\n');
  assert.equal((await fetch(`${server.url}/hello/more`)).status, 404);
  assert.equal((await fetch(`${server.url}/internal/api/health`)).status, 404);
  assert.match(server.stdout(), /\/hello\b.*hello-component/);
});

test('a folder holding a spin.toml and no skiff.toml is served the same', async () => {
  const second = await startSkiffUp(['--from', dir], {
    env: { SKIFF_VARIABLE_GREETING: 'bonjour' },
  });
  try {
    const health = await fetch(`${second.url}/kv/api/health`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('x-greeting'), 'bonjour');
    assert.equal(await (await fetch(`${second.url}/hello`)).text(), 'Hello, Fermyon!\n');
  } finally {
    await second.stop();
  }
});

test('what Skiff cannot honour is refused by name with spin.toml:line, and nothing is served', async () => {
  const refusedDir = await mkdtemp(join(tmpdir(), 'skiff-spin-refused-'));
  const lines = SPIN_TOML.split('\n');
  const kvLine = lines.indexOf('[component.kv]') + 1;
  const text = [
    ...lines.slice(0, kvLine),
    'sqlite_databases = ["default"]',
    ...lines.slice(kvLine),
    '[[trigger.redis]]',
    'channel = "orders"',
    'component = "kv"',
  ].join('\n');
  await writeFile(join(refusedDir, 'spin.toml'), text);
  const { done } = runSkiff(['up', '--from', refusedDir, '--listen', '127.0.0.1:0']);
  const { code, stdout, stderr } = await done;
  assert.equal(code, 1);
  assert.doesNotMatch(stdout, /Serving/);
  const redisLine = text.split('\n').indexOf('[[trigger.redis]]') + 1;
  assert.match(
    stderr,
    new RegExp(
      `spin\\.toml:${kvLine + 1}: "sqlite_databases" in \\[component\\.kv\\]: Skiff has no SQLite interface`,
    ),
  );
  assert.match(
    stderr,
    new RegExp(`spin\\.toml:${redisLine}: \\[\\[trigger\\.redis\\]\\]: Skiff has HTTP triggers only`),
  );
});
