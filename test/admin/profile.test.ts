/**
 * Guest CPU profiles of a running server: `skiff profile` finds the server by itself, samples the
 * component in both workers and writes a flame graph naming the guest's functions; the admin
 * route refuses what it cannot serve with a clear 4xx.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSkiff, startSkiffUp } from '../support/skiff-process.ts';

test('skiff profile writes a flame graph of a busy component, merged over the workers', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/hostile/hostile.wasm', '--workers', '2']);
  const out = join(await mkdtemp(join(tmpdir(), 'skiff-profile-')), 'hostile.html');
  let busy = true;
  // Keeps both workers computing fib while the profile samples them.
  const load = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (busy) await (await fetch(`${skiff.url}/fib?n=25`)).text();
    }),
  );
  try {
    const admin = skiff.adminUrl as string;
    assert.ok(admin, skiff.stdout());
    const profiled = await runSkiff(['profile', '--component', 'hostile', '--seconds', '2', '-o', out]).done;
    assert.equal(profiled.code, 0, profiled.stderr);
    assert.match(profiled.stdout, new RegExp(`Wrote ${out.replace(/[.]/g, '\\.')}`));
    const html = await readFile(out, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /hostile::fib/, 'the guest function, demangled');

    // The same as folded stacks, straight from the admin route: most samples are under fib.
    const folded = await fetch(`${admin}/api/profile?component=hostile&seconds=1&format=folded`, {
      method: 'POST',
    });
    assert.equal(folded.status, 200);
    const lines = (await folded.text()).trim().split('\n');
    const total = (match: (l: string) => boolean) =>
      lines.filter(match).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    assert.ok(total((l) => l.includes('hostile::fib')) > total(() => true) / 2, lines.slice(0, 5).join('\n'));

    // What it cannot serve: said, with the status that fits.
    const refuse = async (query: string) => {
      const r = await fetch(`${admin}/api/profile?${query}`, { method: 'POST' });
      return { status: r.status, text: await r.text() };
    };
    const unknown = await refuse('component=nope&seconds=1');
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /no component "nope" is served here; components: hostile/);
    assert.equal((await refuse('component=hostile&seconds=0')).status, 400);
    assert.equal((await refuse('seconds=1')).status, 400);
    const first = fetch(`${admin}/api/profile?component=hostile&seconds=2&format=json`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 300));
    const second = await refuse('component=hostile&seconds=1');
    assert.equal(second.status, 409);
    assert.match(second.text, /a profile of "hostile" is running/);
    const merged = (await (await first).json()) as { samples: number; components: string[] };
    assert.ok(merged.samples > 0);

    // The CLI names what it could not find.
    const missing = await runSkiff(['profile', '--component', 'nope', '--seconds', '1', '-o', out]).done;
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no running skiff up serves a component "nope"/);
  } finally {
    busy = false;
    await load;
    await skiff.stop();
  }
});
