/**
 * `skiff up --watch`: editing a watched file rebuilds the component and swaps it in; a request in
 * flight finishes on the old version; a failed build keeps the old version serving.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, startSkiffUp } from '../support/skiff-process.ts';

/**
 * The "build" copies the prebuilt fixture named in choice.txt to app.wasm — a real build command,
 * without a compiler's minutes in the test. An unknown choice fails like a compiler would.
 */
const PICK = `
import { copyFileSync, readFileSync } from 'node:fs';
const choices = {
  sleep: ${JSON.stringify(join(REPO, 'fixtures/rust/sleep/sleep.wasm'))},
  hello: ${JSON.stringify(join(REPO, 'fixtures/rust/hello/hello.wasm'))},
};
const choice = readFileSync('src/choice.txt', 'utf8').trim();
if (!(choice in choices)) {
  console.error('pick.mjs: src/choice.txt: no component named ' + JSON.stringify(choice));
  process.exit(1);
}
copyFileSync(choices[choice], 'app.wasm');
`;

async function appFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-watch-'));
  await writeFile(join(dir, 'pick.mjs'), PICK);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src', 'choice.txt'), 'sleep\n');
  await writeFile(
    join(dir, 'skiff.toml'),
    [
      'skiff_manifest_version = 1',
      '[application]',
      'name = "watched"',
      '[[trigger.http]]',
      'route = "/..."',
      'component = "app"',
      '[component.app]',
      'source = "app.wasm"',
      '[component.app.build]',
      `command = "${process.execPath} pick.mjs"`,
      'watch = ["src/**/*.txt"]',
    ].join('\n'),
  );
  return dir;
}

test('skiff up --watch rebuilds on a change, swaps the component in, and keeps the old one when a build fails', async () => {
  const dir = await appFolder();
  const skiff = await startSkiffUp(['--from', dir, '--build', '--watch']);
  try {
    const first = await fetch(`${skiff.url}/?ms=0`);
    assert.equal(await first.text(), 'slept 0ms\n');
    await skiff.waitForOutput(/Watching app \(src\/\*\*\/\*\.txt\)/);

    // A request in flight when the change lands finishes on the version it started on.
    const inFlight = fetch(`${skiff.url}/?ms=1500`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 200));
    await writeFile(join(dir, 'src', 'choice.txt'), 'hello\n');
    await skiff.waitForOutput(/\[app\] reloaded in \d+ ms/, 20_000);
    const swapped = await fetch(`${skiff.url}/`);
    assert.equal(await swapped.text(), 'hello from rust\n');
    assert.equal(await inFlight, 'slept 1500ms\n');

    // A failing build: its output is shown, and the previous version goes on serving.
    await writeFile(join(dir, 'src', 'choice.txt'), 'nonsense\n');
    await skiff.waitForOutput(/build failed; still serving the previous version/, 20_000);
    assert.match(skiff.stdout() + skiff.stderr(), /src\/choice\.txt: no component named "nonsense"/);
    const still = await fetch(`${skiff.url}/`);
    assert.equal(await still.text(), 'hello from rust\n');
  } finally {
    await skiff.stop();
  }
});
