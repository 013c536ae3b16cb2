/**
 * The package as a user gets it: `npm pack` (which builds dist/), installed from the tarball into an
 * empty folder with an empty npm cache, then run from there on this Node 24 — the CLI, a server, the
 * embedding API and its types. An installed package runs only what it ships: no src/, no tests.
 */
import assert from 'node:assert/strict';
import { type ExecFileSyncOptions, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { outcome, REPO } from '../support/skiff-process.ts';

const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const HELLO = join(REPO, 'fixtures', 'rust', 'hello', 'hello.wasm');
const COMMAND = join(REPO, 'fixtures', 'rust', 'cli', 'cli.wasm');

const root = mkdtempSync(join(tmpdir(), 'skiff-pack-'));
const project = join(root, 'project');
const installed = join(project, 'node_modules', 'skiff-wasm');
const skiffBin = join(project, 'node_modules', '.bin', 'skiff');
/**
 * Nothing from an enclosing `npm test` (its npm_config_* would steer these npm runs), this Node 24
 * first on PATH (what `#!/usr/bin/env node` finds), and Skiff's caches in the temp folder.
 */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  npm_config_cache: join(root, 'npm-cache'),
  npm_config_update_notifier: 'false',
  SKIFF_CACHE_DIR: join(root, 'skiff-cache'),
};
let packedFiles: string[] = [];

function npm(args: string[], options: ExecFileSyncOptions): string {
  return execFileSync('npm', args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
    .toString()
    .trim();
}

before(() => {
  const packDir = join(root, 'pack');
  mkdirSync(packDir);
  mkdirSync(project);
  // prepack builds dist/ from src/ (a few seconds); the report is the JSON on stdout.
  const report = npm(['pack', '--json', '--pack-destination', packDir], { cwd: REPO });
  const [packed] = JSON.parse(report.slice(report.indexOf('['))) as [
    { filename: string; files: { path: string }[] },
  ];
  packedFiles = packed.files.map((file) => file.path);
  writeFileSync(join(project, 'package.json'), '{ "private": true }\n');
  npm(['install', '--no-audit', '--no-fund', join(packDir, packed.filename)], { cwd: project });
});

after(() => rmSync(root, { recursive: true, force: true }));

test('the tarball holds the built package and none of the repository’s tests or sources', () => {
  for (const needed of [
    'bin/skiff.js',
    'dist/cli/main.js',
    'dist/cli/main.js.map',
    'dist/embed/index.js',
    'dist/embed/index.d.ts',
    'dist/engine/interrupt/watchdog-thread.js',
    'schema/skiff.schema.json',
    'README.md',
    'package.json',
  ])
    assert.ok(packedFiles.includes(needed), `${needed} is missing from the tarball`);
  assert.ok(packedFiles.some((file) => file.startsWith('wit/')));
  // Templates are sources for the user's new app (an http-ts template holds .ts): shipped as they are.
  const unwanted = packedFiles.filter(
    (file) =>
      !file.startsWith('templates/') &&
      /^(test|fixtures|src|scripts|bench|examples)\/|\.test\.|\.ts$/.test(file.replace(/\.d\.ts$/, '.d')),
  );
  assert.ok(packedFiles.includes('templates/http-rust/skiff.toml'), 'skiff new needs its templates');
  assert.deepEqual(unwanted, []);
  assert.equal(existsSync(join(installed, 'src')), false);
});

test('npx skiff --version in the install folder prints the package’s version', () => {
  assert.equal(npm(['exec', '--', 'skiff', '--version'], { cwd: project }), `skiff ${version}`);
});

test('skiff run runs a command component from the installed package', async () => {
  const child = spawn(process.execPath, [skiffBin, 'run', COMMAND, 'one', 'two'], { cwd: project, env });
  child.stdin.end();
  const { code, stdout, stderr } = await outcome(child);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, 'args: one two\n');
  assert.equal(stderr, 'done\n');
});

test('skiff up serves a component over HTTP from its worker processes, and its admin dashboard', async () => {
  const args = ['up', '--component', HELLO, '--listen', '127.0.0.1:0', '--workers', '2'];
  const child = spawn(process.execPath, [skiffBin, ...args], { cwd: project, env });
  const done = outcome(child);
  let printed = '';
  child.stdout.on('data', (data: Buffer) => {
    printed += data;
  });
  child.stderr.on('data', (data: Buffer) => {
    printed += data;
  });
  /** The URL on the first line `LABEL http://…`, once printed. */
  const urlAfter = async (label: string) => {
    const line = new RegExp(`^${label} (http://\\S+)$`, 'm');
    const until = performance.now() + 60_000;
    for (;;) {
      const match = line.exec(printed);
      if (match) return match[1] as string;
      if (child.exitCode !== null || performance.now() > until)
        throw new Error(`skiff up printed no "${label} http://…" line:\n${printed}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  try {
    const response = await fetch(`${await urlAfter('Serving')}/greet`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello from rust\n');
    // The dashboard's files are read from beside the built code: the build copies them to dist/.
    const dashboard = await fetch(`${await urlAfter('Admin')}/`);
    assert.equal(dashboard.status, 200);
    assert.match(dashboard.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await dashboard.text(), /^<!doctype html>/i);
  } finally {
    child.kill('SIGTERM');
  }
  const { code, stderr } = await done;
  assert.equal(code, 0, stderr);
});

test('import("skiff-wasm") gives the embedding API, and its loadApp answers a request', async () => {
  // What the repository's entry exports at run time is what the installed package must export.
  const expected = Object.keys(await import('../../src/embed/index.ts')).sort();
  writeFileSync(
    join(project, 'embed.mjs'),
    `import * as skiff from 'skiff-wasm';
const app = await skiff.loadApp(${JSON.stringify(HELLO)});
const response = await app.fetch('/from-node');
const body = await response.text();
await app.close();
console.log(JSON.stringify({ exports: Object.keys(skiff).sort(), status: response.status, body }));
process.exit(0);
`,
  );
  const child = spawn(process.execPath, ['embed.mjs'], { cwd: project, env });
  const { code, stdout, stderr } = await outcome(child);
  assert.equal(code, 0, stderr);
  // The guest's own line first, on stdout as the default log writes it; then the script's report.
  assert.match(stdout, /^\[\S+\] hello: GET \/from-node$/m);
  const lastLine = stdout.trim().split('\n').at(-1) as string;
  assert.deepEqual(JSON.parse(lastLine), { exports: expected, status: 200, body: 'hello from rust\n' });
});

test('the package’s type declarations check in a strict TypeScript project', () => {
  writeFileSync(
    join(project, 'consumer.mts'),
    `import { loadApp, type SkiffApp } from 'skiff-wasm';
const app: SkiffApp = await loadApp('app/skiff.toml', { timeout: '50ms', maxMemory: '32MiB' });
const response: Response = await app.fetch('/');
console.log(response.status);
// Had the options no types, this line would be no error, and the expectation would fail the check.
// @ts-expect-error lifecycle is 'fresh' or 'reuse'
await loadApp('app/skiff.toml', { lifecycle: 'forever' });
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: false, // check the package's .d.ts files too
        types: ['node'],
        typeRoots: [join(REPO, 'node_modules', '@types')],
        lib: ['es2024', 'dom'],
      },
      files: ['consumer.mts'],
    }),
  );
  const tsc = spawnSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], {
    cwd: project,
    env,
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
});

test('examples/embed runs as the README says against the installed package: a plugin per request, stopped at its timeout', async () => {
  for (const file of ['server.ts', 'plugin.d.ts'])
    writeFileSync(join(project, file), readFileSync(join(REPO, 'examples', 'embed', file)));
  const plugin = join(REPO, 'fixtures', 'rust', 'plugin', 'plugin.wasm');
  const child = spawn(process.execPath, ['server.ts', plugin], { cwd: project, env: { ...env, PORT: '0' } });
  try {
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d;
        const match = /Listening on (http:\/\/\S+)/.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`the example exited with ${code}: ${stdout}`)));
    });
    const get = async (path: string) => {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, body: await response.text() };
    };
    assert.deepEqual(await get('/?name=Ada'), { status: 200, body: 'hello, Ada!\n' });
    assert.deepEqual(await get('/?word=pear&word=apple'), { status: 200, body: 'apple pear\n' });
    const spun = await get('/spin');
    assert.equal(spun.status, 503);
    assert.match(spun.body, /skiff:plugin\/api#spin did not finish within its timeout of 50ms/);
    assert.deepEqual(await get('/'), { status: 200, body: 'hello, world!\n' });
  } finally {
    child.kill('SIGTERM');
  }
});
