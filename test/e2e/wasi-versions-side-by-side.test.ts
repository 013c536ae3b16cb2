/**
 * WASI 0.2 and 0.3 components in one app (issue #10): each route is served by its component in the
 * protocol it speaks — a 0.2 incoming-handler, spin-sdk 7's 0.3 handler, a 0.3 handler with a
 * streaming body — through one `skiff up`. (That one instance runs several calls at once is
 * test/engine/concurrent-tasks.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

let skiff: SkiffProcess;
before(async () => {
  // The 0.3 handler routes on the whole path, so it takes the rest of the app: `/hello`, `/slow`…
  const dir = await mkdtemp(join(tmpdir(), 'skiff-mixed-'));
  const manifest = join(dir, 'skiff.toml');
  await writeFile(
    manifest,
    [
      'skiff_manifest_version = 1',
      '[application]',
      'name = "mixed"',
      ...route('/p2/...', 'p2', 'fixtures/rust/hello/hello.wasm'),
      ...route('/spin/...', 'spin', 'fixtures/rust/spin-p3-hello/spin-p3-hello.wasm'),
      ...route('/...', 'p3', 'fixtures/rust/p3-http/p3-http.wasm'),
      '',
    ].join('\n'),
  );
  skiff = await startSkiffUp(['--from', manifest, '--workers', '1']);
});

function route(path: string, id: string, source: string): string[] {
  return [
    '[[trigger.http]]',
    `route = "${path}"`,
    `component = "${id}"`,
    `[component.${id}]`,
    `source = "${join(REPO, source)}"`,
  ];
}
after(() => skiff.stop());

test('a 0.2 and two 0.3 components answer side by side in one app', async () => {
  const p2 = await fetch(`${skiff.url}/p2/`);
  assert.equal(p2.status, 200);
  assert.match(await p2.text(), /hello/i);
  const spin = await fetch(`${skiff.url}/spin/`);
  assert.equal(spin.status, 200);
  assert.equal(await spin.text(), 'Hello, Fermyon!\n');
  const p3 = await fetch(`${skiff.url}/hello`);
  assert.equal(p3.status, 200);
  assert.equal(await p3.text(), 'hello from wasi 0.3\n');
});

test('slow 0.3 requests are served at once: 8 × 200 ms take well under 8 × 200 ms', async () => {
  const started = performance.now();
  const bodies = await Promise.all(
    Array.from({ length: 8 }, () => fetch(`${skiff.url}/slow`).then((r) => r.text())),
  );
  const elapsed = performance.now() - started;
  assert.deepEqual(bodies, Array(8).fill('ab'));
  assert.ok(elapsed < 1000, `8 concurrent 200 ms requests took ${Math.round(elapsed)} ms`);
});

test('a trap in one 0.3 request fails that request; the app goes on answering', async () => {
  const [trapped, ...others] = await Promise.all([
    fetch(`${skiff.url}/trap`),
    ...Array.from({ length: 3 }, () => fetch(`${skiff.url}/hello`)),
  ]);
  assert.equal(trapped?.status, 500);
  // Requests the poisoned instance was serving may fail with it; none is left hanging.
  for (const r of others) assert.ok(r.status === 200 || r.status === 500, `status ${r.status}`);
  const after = await fetch(`${skiff.url}/hello`);
  assert.equal(after.status, 200);
  assert.equal(await after.text(), 'hello from wasi 0.3\n');
});
