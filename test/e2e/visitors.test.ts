/**
 * The visitor counter of issue #12 (examples/visitors) end to end, on each key-value backend: the
 * embedded default (SQLite), Redis and NATS JetStream (real servers on loopback ports), chosen by
 * the runtime config only. A Rust and a TypeScript guest on wasi:keyvalue and Spin SDK guests
 * (spin-sdk 5 and 7) share one count; every acknowledged POST is counted, through kill -9 of the
 * host and while a backend goes down and comes back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startNats, startRedis, type TestServer } from '../support/servers.ts';
import { REPO, runSkiff, startSkiffUp } from '../support/skiff-process.ts';

const GUESTS = {
  rust: 'fixtures/rust/visitors/visitors.wasm',
  ts: 'fixtures/js/visitors/visitors.wasm',
  spin: 'fixtures/rust/spin-kv/spin-kv.wasm',
  spin7: 'fixtures/rust/spin-p3-kv/spin-p3-kv.wasm',
};

/** An app with each guest under `/<name>/...`, all on the store `default`, and a runtime config. */
async function visitorsApp(runtimeConfig?: string, extra: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-visitors-'));
  const lines = ['skiff_manifest_version = 1', '[application]', 'name = "visitors"'];
  lines.push('[variables]', 'greeting = { default = "welcome" }', ...extra);
  for (const name of Object.keys(GUESTS))
    lines.push('[[trigger.http]]', `route = "/${name}/..."`, `component = "${name}"`);
  for (const [name, source] of Object.entries(GUESTS))
    lines.push(
      `[component.${name}]`,
      `source = "${join(REPO, source)}"`,
      'key_value_stores = ["default"]',
      'variables = { greeting = "{{ greeting }}" }',
    );
  await writeFile(join(dir, 'skiff.toml'), `${lines.join('\n')}\n`);
  const args = ['--from', dir];
  if (runtimeConfig !== undefined) {
    await writeFile(join(dir, 'runtime-config.toml'), runtimeConfig);
    args.push('--runtime-config', join(dir, 'runtime-config.toml'));
  }
  return { dir, args };
}

const count = async (url: string) => {
  const response = await fetch(`${url}/rust/api/visitors`);
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { count: number }).count;
};

const post = (url: string, guest: string) =>
  fetch(`${url}/${guest}/api/visitors`, { method: 'POST', headers: { connection: 'close' } });

const backends: Array<{ name: string; start?: () => Promise<TestServer>; type?: string; workers: string }> = [
  { name: 'the embedded default (SQLite), 2 workers', workers: '2' },
  { name: 'Redis', start: startRedis, type: 'redis', workers: '1' },
  { name: 'NATS JetStream', start: startNats, type: 'nats', workers: '1' },
];

for (const backend of backends) {
  describe(`visitors on ${backend.name}`, () => {
    let server: TestServer | undefined;
    let skiff: Awaited<ReturnType<typeof startSkiffUp>>;
    before(async () => {
      server = await backend.start?.();
      const config = server
        ? `[key_value_store.default]\ntype = "${backend.type}"\nurl = "${server.url}"\n`
        : undefined;
      const app = await visitorsApp(config);
      skiff = await startSkiffUp([...app.args, '--workers', backend.workers]);
    });
    after(async () => {
      await skiff?.stop();
      await server?.dispose();
    });

    test('health, then 200 concurrent POSTs from a Rust and a TypeScript guest: the count is exactly 200, and the Spin guests read it too', async () => {
      const health = await fetch(`${skiff.url}/rust/api/health`);
      assert.deepEqual(await health.json(), { status: 'healthy', runtime: 'wasm' });
      assert.equal(health.headers.get('x-greeting'), 'welcome');
      assert.equal(await count(skiff.url), 0);
      // The Spin guests' POST is a read-modify-write (Spin's interface has no increment): they read.
      const writers = ['rust', 'ts'];
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => post(skiff.url, writers[i % writers.length] as string)),
      );
      const failed = await Promise.all(
        responses.filter((r) => r.status !== 200).map(async (r) => `${r.status} ${await r.text()}`),
      );
      assert.deepEqual(failed, []);
      // Each POST saw its own new value: the increments did not overlap.
      const seen = await Promise.all(
        responses.map(async (r) => ((await r.json()) as { count: number }).count),
      );
      assert.deepEqual(
        seen.toSorted((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.equal(await count(skiff.url), 200);
      for (const name of Object.keys(GUESTS)) {
        const response = await fetch(`${skiff.url}/${name}/api/visitors`);
        assert.equal(((await response.json()) as { count: number }).count, 200, name);
      }
    });

    test('a key past 1 KiB gets the interface error (a 500 from the guest), a 1 MiB value fits, and the app goes on', async () => {
      // Values past 1 MiB are refused the same way (test/capabilities/key-value-backends.test.ts);
      // the fixture itself takes no body past 1 MiB.
      const longKey = await fetch(`${skiff.url}/rust/api/kv?op=get&key=${'k'.repeat(1025)}`);
      assert.equal(longKey.status, 500);
      assert.match(await longKey.text(), /"error":"other".*1024/);
      const fits = await fetch(`${skiff.url}/rust/api/kv?op=set&key=big`, {
        method: 'POST',
        body: new Uint8Array(1024 * 1024),
      });
      assert.equal(fits.status, 200, await fits.clone().text());
      assert.equal((await fetch(`${skiff.url}/rust/api/health`)).status, 200);
    });

    test('a store the manifest does not list is access-denied, with a host log line', async () => {
      const response = await fetch(`${skiff.url}/rust/api/open?label=other`);
      assert.equal(response.status, 403);
      assert.deepEqual(await response.json(), { label: 'other', error: 'access-denied' });
      await skiff.waitForOutput(
        /\[rust\] key-value store "other" denied: not in key_value_stores \("default"\)/,
      );
    });
  });
}

test('variables from the environment reach wasi:config and Spin guests; guest log lines carry the request', async () => {
  const app = await visitorsApp();
  const skiff = await startSkiffUp(app.args, { env: { SKIFF_VARIABLE_GREETING: 'from-env' } });
  try {
    assert.equal((await fetch(`${skiff.url}/ts/api/health`)).headers.get('x-greeting'), 'from-env');
    const spin = await fetch(`${skiff.url}/spin/api/variable?name=greeting`);
    assert.equal(spin.status, 200);
    assert.match(await spin.text(), /from-env/);
    const spin7 = await fetch(`${skiff.url}/spin7/api/variable?name=greeting`);
    assert.match(await spin7.text(), /from-env/);
    await skiff.waitForOutput(/\[ts\] request \d+ INFO visitors: GET \/ts\/api\/health -> 200/);
  } finally {
    await skiff.stop();
  }
});

test('a missing required variable stops skiff up, naming it and where to set it', async () => {
  const app = await visitorsApp(undefined, ['api_token = { required = true, secret = true }']);
  const { done } = runSkiff(['up', '--listen', '127.0.0.1:0', ...app.args]);
  const { code, stderr } = await done;
  assert.equal(code, 1);
  assert.match(
    stderr,
    /variable "api_token" .*is required but not set: set SKIFF_VARIABLE_API_TOKEN=… in the environment or in .*\.env/,
  );
});

test('a store label the runtime config does not define gets a did-you-mean', async () => {
  const app = await visitorsApp('[key_value_store.cache]\ntype = "sqlite"\npath = "cache.sqlite"\n');
  const manifest = join(app.dir, 'skiff.toml');
  await writeFile(
    manifest,
    (await readFile(manifest, 'utf8')).replace(
      'key_value_stores = ["default"]',
      'key_value_stores = ["cahce"]',
    ),
  );
  const { code, stderr } = await runSkiff(['up', '--listen', '127.0.0.1:0', ...app.args]).done;
  assert.equal(code, 1);
  assert.match(stderr, /lists key-value store "cahce", which is not configured; did you mean "cache"\?/);
});

test('kill -9 in the middle of a stream of POSTs: after a restart, every acknowledged POST is counted', async (t) => {
  const app = await visitorsApp();
  let skiff = await startSkiffUp(app.args);
  let acknowledged = 0;
  let sent = 0;
  const until = performance.now() + 1500;
  const client = async () => {
    while (performance.now() < until) {
      sent++;
      try {
        const response = await post(skiff.url, 'rust');
        if (response.status === 200) {
          await response.json();
          acknowledged++;
        }
      } catch {
        return; // the host is gone
      }
    }
  };
  const clients = Promise.all([client(), client(), client(), client()]);
  await new Promise((r) => setTimeout(r, 1000));
  await skiff.stop('SIGKILL');
  await clients;
  assert.ok(acknowledged > 20, `only ${acknowledged} POSTs were acknowledged before the kill`);
  skiff = await startSkiffUp(app.args);
  try {
    const counted = await count(skiff.url);
    t.diagnostic(`sent ${sent}, acknowledged ${acknowledged}, counted after the restart ${counted}`);
    assert.ok(
      counted >= acknowledged && counted <= sent,
      `counted ${counted}, acknowledged ${acknowledged}, sent ${sent}`,
    );
  } finally {
    await skiff.stop();
  }
});

test('Redis goes down: requests that need it fail with a 500 and a log line naming the store; it recovers without a restart', async () => {
  const redis = await startRedis();
  const app = await visitorsApp(`[key_value_store.default]\ntype = "redis"\nurl = "${redis.url}"\n`);
  const skiff = await startSkiffUp(app.args);
  try {
    assert.equal((await post(skiff.url, 'rust')).status, 200);
    await redis.stop();
    const down = await post(skiff.url, 'rust');
    assert.equal(down.status, 500);
    assert.match(await down.text(), /key-value store \\?"default\\?"/);
    await skiff.waitForOutput(/\[rust\] key-value store "default" of app "visitors" \(redis [^)]*\): /);
    // Health needs no store and is answered all along.
    assert.equal((await fetch(`${skiff.url}/rust/api/health`)).status, 200);
    await redis.restart();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await post(skiff.url, 'rust')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, 'not back after Redis came back');
  } finally {
    await skiff.stop();
    await redis.dispose();
  }
});
