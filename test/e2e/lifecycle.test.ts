/**
 * Instance lifecycles through the real CLI, observed with a guest that counts requests in its own
 * memory: a fresh instance always answers 1, a reused one counts up, a trapped one is never reused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO, startSkiffUp } from '../support/skiff-process.ts';

const COUNTER = 'fixtures/rust/counter/counter.wasm';

async function counts(url: string, paths: string[]): Promise<string[]> {
  const seen: string[] = [];
  for (const path of paths) {
    const res = await fetch(`${url}${path}`);
    seen.push(res.status === 200 ? (await res.text()).trim() : String(res.status));
  }
  return seen;
}

test('fresh (the default): every request sees a just-instantiated guest, also when instances are reset and reused', async () => {
  const skiff = await startSkiffUp(['--component', COUNTER]);
  try {
    // 40 sequential requests with a pre-warmed pool of 4: most are served by reset instances.
    assert.deepEqual(await counts(skiff.url, Array(40).fill('/')), Array(40).fill('1'));
    const concurrent = await Promise.all(
      Array.from({ length: 16 }, () => fetch(`${skiff.url}/`).then((r) => r.text())),
    );
    assert.deepEqual(concurrent, Array(16).fill('1\n'));
  } finally {
    await skiff.stop();
  }
});

test('reuse: guest state survives between requests; a trapped instance is discarded', async () => {
  const skiff = await startSkiffUp(['--component', COUNTER, '--lifecycle', 'reuse']);
  try {
    assert.deepEqual(await counts(skiff.url, ['/', '/', '/', '/trap', '/', '/']), [
      '1',
      '2',
      '3',
      '500',
      '1',
      '2',
    ]);
  } finally {
    await skiff.stop();
  }
});

test('reuse: an instance is retired after --max-requests', async () => {
  const skiff = await startSkiffUp(['--component', COUNTER, '--lifecycle', 'reuse', '--max-requests', '3']);
  try {
    assert.deepEqual(await counts(skiff.url, Array(7).fill('/')), ['1', '2', '3', '1', '2', '3', '1']);
  } finally {
    await skiff.stop();
  }
});

const appDir = mkdtempSync(join(tmpdir(), 'skiff-lifecycle-'));
after(() => rmSync(appDir, { recursive: true, force: true }));

test('the manifest chooses the lifecycle per component', async () => {
  writeFileSync(
    join(appDir, 'skiff.toml'),
    `skiff_manifest_version = 1
[application]
name = "lifecycles"
[[trigger.http]]
route = "/kept/..."
component = "kept"
[[trigger.http]]
route = "/fresh/..."
component = "fresh"
[component.kept]
source = "${REPO}/${COUNTER}"
[component.kept.lifecycle]
mode = "reuse"
max_requests = 100
idle_timeout = "5s"
[component.fresh]
source = "${REPO}/${COUNTER}"
lifecycle = "fresh"
`,
  );
  const skiff = await startSkiffUp(['--from', appDir]);
  try {
    assert.deepEqual(await counts(skiff.url, ['/kept', '/fresh', '/kept', '/fresh', '/kept']), [
      '1',
      '1',
      '2',
      '1',
      '3',
    ]);
  } finally {
    await skiff.stop();
  }
});

test('--workers 2: each worker runs its own instances (two counters count independently)', async () => {
  const skiff = await startSkiffUp(['--component', COUNTER, '--lifecycle', 'reuse', '--workers', '2']);
  try {
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) {
      // A new connection per request, so the cluster can hand it to either worker.
      const res = await fetch(`${skiff.url}/`, { headers: { connection: 'close' } });
      answers.push((await res.text()).trim());
    }
    assert.equal(answers.filter((a) => a === '1').length, 2, `answers: ${answers.join(' ')}`);
  } finally {
    await skiff.stop();
  }
});

test('a componentize-js guest asked to reuse instances is served fresh, with a warning', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/js/hello/hello.wasm', '--lifecycle', 'reuse']);
  try {
    for (let i = 0; i < 3; i++) assert.equal(await (await fetch(`${skiff.url}/`)).text(), 'hello from js\n');
    await skiff.waitForOutput(
      /componentize-js guest, which can answer only one request per instance; serving it with lifecycle "fresh"/,
    );
  } finally {
    await skiff.stop();
  }
});
