/**
 * The app author's loop, as a user types it: `skiff new TEMPLATE app` in an empty folder, then
 * `skiff build --from app`, then `skiff up --from app`, and GET / over real HTTP on loopback must be
 * 200 with the template's greeting. A template whose toolchain is not installed here is not
 * skipped: `skiff build` must fail naming the missing tool and how to install it.
 *
 * Builds share caches under .skiff-cache/ (npm's cache, one CARGO_TARGET_DIR), as TEST_CACHE_DIR
 * does for compiled components, so a second run does not download or compile everything again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TEMPLATES, type Template } from '../../src/cli/templates.ts';
import { describeMissing, findProgram } from '../../src/cli/toolchains.ts';
import { REPO, runSkiff, startSkiffUp } from '../support/skiff-process.ts';

const WORK = await mkdtemp(join(tmpdir(), 'skiff-new-'));
const BUILD_ENV = {
  npm_config_cache: join(REPO, '.skiff-cache', 'npm'),
  npm_config_update_notifier: 'false',
  CARGO_TARGET_DIR: join(REPO, '.skiff-cache', 'templates-cargo-target'),
};
/** What each template's handler says, after "hello from app ". */
const GREETING_LANGUAGE: Record<string, string> = {
  'http-rust': 'rust',
  'http-ts': 'typescript',
  'http-js': 'javascript',
  'http-py': 'python',
  'http-c': 'c',
};
const HELLO_FIXTURE = join(REPO, 'fixtures/rust/hello/hello.wasm');

// The JavaScript apps' node_modules alone take hundreds of MB.
after(() => rm(WORK, { recursive: true, force: true }));

async function skiff(args: string[], cwd: string, env: Record<string, string> = {}) {
  return runSkiff(args, { cwd, env: { ...BUILD_ENV, ...env } }).done;
}

/** A fresh folder for one case. */
async function caseDir(name: string): Promise<string> {
  const dir = join(WORK, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** An app with one component whose build command is `command` and whose source is `source`. */
async function appWithBuild(name: string, command: string, source = 'app.wasm'): Promise<string> {
  const dir = await caseDir(name);
  await writeFile(
    join(dir, 'skiff.toml'),
    [
      'skiff_manifest_version = 1',
      '[application]',
      `name = "${name}"`,
      '[[trigger.http]]',
      'route = "/..."',
      `component = "${name}"`,
      `[component.${name}]`,
      `source = "${source}"`,
      `[component.${name}.build]`,
      `command = ${JSON.stringify(command)}`,
      '',
    ].join('\n'),
  );
  return dir;
}

/** The first of the template's tools this machine lacks, or undefined when it has them all. */
function missingTool(template: Template): string | undefined {
  return template.needs.find((program) => !findProgram(program, process.env.PATH ?? ''));
}

function rustTargetInstalled(): boolean {
  const installed = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
  return installed.status === 0 && installed.stdout.split('\n').includes('wasm32-wasip2');
}

test('new --list shows every template with what it needs; the README shows the same list and the three commands', async () => {
  const listed = await skiff(['new', '--list'], WORK);
  assert.equal(listed.code, 0, listed.stderr);
  for (const template of TEMPLATES) {
    assert.match(
      listed.stdout,
      new RegExp(`^ {2}${template.id} +${template.summary.replace(/[()]/g, '\\$&')}$`, 'm'),
    );
    assert.ok(listed.stdout.includes(`needs: ${template.needs.join(', ')}`), template.id);
    assert.ok(GREETING_LANGUAGE[template.id], `${template.id} needs its greeting in this test`);
  }
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  assert.ok(
    readme.includes('skiff new http-rust hello && skiff build --from hello && skiff up --from hello\n'),
  );
  const rows = [...readme.matchAll(/^\| `(http-[a-z]+)` +\|/gm)].map((m) => m[1]);
  assert.deepEqual(
    rows,
    TEMPLATES.map((t) => t.id),
  );
});

test('new refuses an unknown template, a folder that is not empty, and a name that makes no id', async () => {
  const dir = await caseDir('refusals');
  const unknown = await skiff(['new', 'http-rsut', 'app'], dir);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /unknown template "http-rsut" \(did you mean http-rust\?\); templates: http-rust, /,
  );

  await mkdir(join(dir, 'taken'));
  await writeFile(join(dir, 'taken', 'notes.txt'), 'mine');
  const taken = await skiff(['new', 'http-rust', 'taken'], dir);
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, /taken already exists and is not empty/);
  assert.deepEqual(await readdir(join(dir, 'taken')), ['notes.txt']);

  const noId = await skiff(['new', 'http-rust', '123'], dir);
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /cannot make an app name of "123"/);
  assert.deepEqual((await readdir(dir)).sort(), ['taken']);
});

for (const template of TEMPLATES) {
  test(`${template.id}: new → build → up → GET / is 200 with the greeting, or build names the missing tool`, async (t) => {
    const dir = await caseDir(template.id);
    const created = await skiff(['new', template.id, 'app'], dir);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /skiff build --from app\n {2}skiff up --from app\n/);
    const manifest = await readFile(join(dir, 'app', 'skiff.toml'), 'utf8');
    assert.doesNotMatch(manifest, /\{\{/, 'every placeholder is filled in');

    const started = performance.now();
    const built = await skiff(['build', '--from', 'app'], dir);
    const buildMs = Math.round(performance.now() - started);
    const missing = missingTool(template);
    if (missing) {
      t.diagnostic(`${missing} is not installed: checked that skiff build names it`);
      assert.equal(built.code, 1, built.stdout);
      assert.ok(built.stderr.includes(describeMissing(missing)), built.stderr);
      return;
    }
    if (template.id === 'http-rust' && !rustTargetInstalled()) {
      t.diagnostic('the wasm32-wasip2 target is not installed: checked that skiff build says so');
      assert.equal(built.code, 1);
      assert.match(built.stderr, /rustup target add wasm32-wasip2/);
      return;
    }
    assert.equal(built.code, 0, `${built.stdout}\n${built.stderr}`);
    assert.match(built.stdout, /^app: built in \d+(?:\.\d)?(?:ms|s)$/m);
    t.diagnostic(`skiff build took ${buildMs} ms`);

    const server = await startSkiffUp(['--from', join(dir, 'app')]);
    try {
      const response = await fetch(`${server.url}/`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), `hello from app (${GREETING_LANGUAGE[template.id]})\n`);
    } finally {
      await server.stop();
    }
  });
}

test('a failing build exits 1 naming the component and command, and prints the tool output', async () => {
  const dir = await appWithBuild('broken', 'node build.mjs');
  await writeFile(join(dir, 'build.mjs'), 'console.log("compiling…");\nconst = ;\n');
  const built = await skiff(['build', '--from', dir], WORK);
  assert.equal(built.code, 1);
  assert.match(built.stdout, /^broken: failed after \d/m);
  assert.match(
    built.stderr,
    /^error: component "broken" failed to build: `node build\.mjs` exited with code 1 \(in .*broken\)\n--- output of the build ---\n/,
  );
  assert.match(built.stderr, /SyntaxError/);
  assert.match(built.stderr, /build\.mjs:2/);
});

test('a tool that is not installed is named with how to install it, before or after the command runs', async () => {
  const dir = await appWithBuild('rusty', 'cargo build --release');
  const direct = await skiff(['build', '--from', dir], WORK, { PATH: '/nonexistent' });
  assert.equal(direct.code, 1);
  assert.ok(direct.stderr.includes(`error: component "rusty" cannot be built: ${describeMissing('cargo')}`));
  assert.match(direct.stderr, /rustup target add wasm32-wasip2/);

  // Inside a script the shell says "not found"; the build names the tool from its output.
  const scripted = await appWithBuild('scripted', 'sh build.sh');
  await writeFile(join(scripted, 'build.sh'), 'set -e\ncomponentize-py --version\n');
  const viaScript = await skiff(['build', '--from', scripted], WORK, { PATH: '/usr/bin:/bin' });
  assert.equal(viaScript.code, 1);
  assert.match(viaScript.stderr, /componentize-py: not found/);
  assert.ok(viaScript.stderr.includes(`hint: ${describeMissing('componentize-py')}`), viaScript.stderr);
});

test('after a build, the source must exist and be a component', async () => {
  const absent = await appWithBuild('absent', 'node -e 0');
  const noSource = await skiff(['build', '--from', absent], WORK);
  assert.equal(noSource.code, 1);
  assert.match(noSource.stderr, /its build command succeeded, but its source .*app\.wasm does not exist/);

  const core = await appWithBuild('core', 'node core.mjs');
  // The smallest core module: magic and version 1, no sections.
  await writeFile(
    join(core, 'core.mjs'),
    'import { writeFileSync } from "node:fs";\nwriteFileSync("app.wasm", Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0));\n',
  );
  const coreModule = await skiff(['build', '--from', core], WORK);
  assert.equal(coreModule.code, 1);
  assert.match(
    coreModule.stderr,
    /is a core WebAssembly module, not a component\n {2}hint: build for a WASI 0\.2 target/,
  );
});

test('up --build builds, then serves; a failed build serves nothing', async () => {
  const dir = await appWithBuild('copied', 'node copy.mjs');
  await writeFile(
    join(dir, 'copy.mjs'),
    `import { copyFileSync } from "node:fs";\ncopyFileSync(${JSON.stringify(HELLO_FIXTURE)}, "app.wasm");\n`,
  );
  const server = await startSkiffUp(['--from', dir, '--build'], { env: BUILD_ENV });
  try {
    assert.match(server.stdout(), /^copied: built in .*\nServing http/m);
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello from rust\n');
  } finally {
    await server.stop();
  }

  const broken = await appWithBuild('broken-up', 'node -e "process.exit(3)"');
  const refused = await skiff(['up', '--from', broken, '--build', '--listen', '127.0.0.1:0'], WORK);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /component "broken-up" failed to build: .* exited with code 3/);
  assert.doesNotMatch(refused.stdout, /Serving/);

  const oneFile = await skiff(['up', '--component', HELLO_FIXTURE, '--build'], WORK);
  assert.equal(oneFile.code, 2);
  assert.match(oneFile.stderr, /--build runs the build commands of a manifest/);
});

test('build of an app without build sections says there is nothing to build', async () => {
  const nothing = await skiff(['build', '--from', join(REPO, 'examples/hello')], WORK);
  assert.equal(nothing.code, 0, nothing.stderr);
  assert.match(
    nothing.stdout,
    /^nothing to build: no component of "hello" has a \[component\.ID\.build\] section$/m,
  );
});
