/**
 * `skiff inspect --json` on real fixtures (a Rust HTTP component, a spin-sdk component, a C core
 * module) and on a component importing what Skiff does not provide, through the real CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CoreEntry, ImportEntry, InspectReport } from './inspect-report.ts';

const REPO = join(import.meta.dirname, '..', '..');
const SKIFF = join(REPO, 'bin', 'skiff.js');

function inspectJson(file: string): InspectReport {
  const { status, stdout, stderr } = spawnSync(process.execPath, [SKIFF, 'inspect', '--json', file], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(status, 0, stderr);
  return JSON.parse(stdout) as InspectReport;
}

const importNamed = (report: InspectReport, name: string) =>
  (report.imports as ImportEntry[]).find((i) => i.name === name);

test('a Rust HTTP component: kind, size, producers, versioned imports and exports, all provided, WIT', async () => {
  const file = 'fixtures/rust/hello/hello.wasm';
  const report = inspectJson(file);
  assert.equal(report.file, file);
  assert.equal(report.kind, 'component');
  assert.equal(report.size, (await stat(join(REPO, file))).size);
  assert.deepEqual(report.producers['processed-by']?.[0]?.name, 'wit-component');
  assert.deepEqual(report.exports, [
    {
      name: 'wasi:http/incoming-handler@0.2.10',
      interface: 'wasi:http/incoming-handler',
      version: '0.2.10',
      kind: 'interface',
    },
  ]);
  assert.deepEqual(importNamed(report, 'wasi:http/types@0.2.10'), {
    name: 'wasi:http/types@0.2.10',
    interface: 'wasi:http/types',
    version: '0.2.10',
    kind: 'interface',
    provided: true,
    providedBy: 'wasi',
    grant: null,
    hint: null,
  });
  assert.equal(importNamed(report, 'wasi:filesystem/preopens@0.2.6')?.grant, 'files (--dir)');
  assert.equal(importNamed(report, 'wasi:cli/environment@0.2.6')?.grant, 'environment (--env)');
  assert.ok((report.imports as ImportEntry[]).every((i) => i.provided && i.providedBy === 'wasi'));
  assert.equal(report.skiffProvidesAllImports, true);
  assert.deepEqual(report.unprovidedImports, []);
  assert.match(report.wit ?? '', /export wasi:http\/incoming-handler@0\.2\.10;/);
});

test('a spin-sdk component: Spin interfaces are provided by the key-value and variables capabilities', () => {
  const report = inspectJson('fixtures/rust/spin-kv/spin-kv.wasm');
  assert.deepEqual(
    (({ provided, providedBy, grant, version }) => ({ provided, providedBy, grant, version }))(
      importNamed(report, 'fermyon:spin/key-value@2.0.0') as ImportEntry,
    ),
    { provided: true, providedBy: 'key-value', grant: 'key_value_stores', version: '2.0.0' },
  );
  assert.equal(importNamed(report, 'fermyon:spin/variables@2.0.0')?.providedBy, 'variables');
  assert.equal(importNamed(report, 'fermyon:spin/variables@2.0.0')?.interface, 'fermyon:spin/variables');
  assert.equal(report.skiffProvidesAllImports, true);
  assert.equal(report.exports[0]?.name, 'wasi:http/incoming-handler@0.2.0');
});

test('a core module: its core imports and exports, provided when all are WASI preview1; no WIT', () => {
  const report = inspectJson('fixtures/c/cli/cli.core.wasm');
  assert.equal(report.kind, 'core-module');
  assert.equal(report.wit, null);
  assert.equal(report.producers.language?.[0]?.name, 'C99');
  const imports = report.imports as CoreEntry[];
  assert.ok(imports.length > 3);
  assert.ok(imports.every((i) => i.module === 'wasi_snapshot_preview1' && i.kind === 'function'));
  assert.ok(imports.some((i) => i.name === 'fd_write'));
  assert.ok((report.exports as CoreEntry[]).some((e) => e.name === '_start' && e.kind === 'function'));
  assert.equal(report.skiffProvidesAllImports, true);
});

test('a component importing what Skiff lacks: each missing import, with what would provide it', async () => {
  const { componentEmbed, componentNew, parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const embedded = await componentEmbed({
    binary: await parse(
      '(module (import "fermyon:spin/sqlite@2.0.0" "execute" (func)) (import "acme:billing/api@1.0.0" "charge" (func)))',
    ),
    witSource: [
      'package acme:billing@1.0.0;',
      'interface api { charge: func(); }',
      'world w { import api; import fermyon:spin/sqlite@2.0.0; }',
      'package fermyon:spin@2.0.0 { interface sqlite { execute: func(); } }',
    ].join('\n'),
    world: 'w',
  });
  const file = join(await mkdtemp(join(tmpdir(), 'skiff-inspect-json-')), 'billing.wasm');
  await writeFile(file, await componentNew(embedded, undefined));
  const report = inspectJson(file);
  assert.equal(report.skiffProvidesAllImports, false);
  assert.deepEqual(
    report.unprovidedImports.map((u) => u.name),
    ['acme:billing/api@1.0.0', 'fermyon:spin/sqlite@2.0.0'],
  );
  const sqlite = importNamed(report, 'fermyon:spin/sqlite@2.0.0');
  assert.equal(sqlite?.provided, false);
  assert.equal(sqlite?.providedBy, null);
  assert.match(sqlite?.hint ?? '', /a Spin capability Skiff does not have yet/);
  assert.equal(importNamed(report, 'acme:billing/api@1.0.0')?.hint, 'no Skiff capability provides it');
  // The text output names the same imports with the same hints.
  const text = spawnSync(process.execPath, [SKIFF, 'inspect', file], { encoding: 'utf8' }).stdout;
  for (const { name, hint } of report.unprovidedImports) assert.ok(text.includes(`  ${name}: ${hint}`), name);
});

test('inspect without a file, or with two, says how to call it', () => {
  for (const args of [['--json'], ['a.wasm', 'b.wasm']]) {
    const { status, stderr } = spawnSync(process.execPath, [SKIFF, 'inspect', ...args], { encoding: 'utf8' });
    assert.equal(status, 2);
    assert.match(stderr, /usage: skiff inspect \[--json\] FILE\.wasm/);
  }
});
