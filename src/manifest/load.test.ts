import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManifestError } from './errors.ts';
import { loadApp } from './load.ts';
import { toml, VALID_LINES } from './testing.ts';

/** The example manifest from the format description, verbatim apart from the descriptions. */
const EXAMPLE = `skiff_manifest_version = 1          # required, must be 1
[application]
name = "hello"                      # required
version = "0.1.0"                   # optional
description = "Says hello"          # optional
[[trigger.http]]
route = "/hello/..."                # or: route = { private = true }
component = "hello-js"
[component.hello-js]
source = "../../fixtures/js/hello/hello.wasm"   # relative to the manifest's folder
description = "The JS greeter"
environment = { GREETING = "hi" }   # string→string only
files = ["static", { source = "assets", destination = "/assets", read_only = true }]
allowed_outbound_hosts = ["https://example.com:443", "http://127.0.0.1:*", "https://*.example.com"]
[component.hello-js.build]
command = "npm run build"
workdir = "."                       # optional, relative to manifest dir; default manifest dir
watch = ["src/**/*.js"]
`;

let root = '';
let appDir = '';
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-load-'));
  appDir = path.join(root, 'examples', 'hello');
  fs.mkdirSync(path.join(appDir, 'static'), { recursive: true });
  fs.mkdirSync(path.join(appDir, 'assets'));
  fs.mkdirSync(path.join(root, 'fixtures', 'js', 'hello'), { recursive: true });
  fs.writeFileSync(path.join(root, 'fixtures', 'js', 'hello', 'hello.wasm'), '\0asm');
  fs.writeFileSync(path.join(appDir, 'skiff.toml'), EXAMPLE);
  fs.writeFileSync(path.join(appDir, 'app.wasm'), '\0asm');
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** The ManifestError that loading `target` throws. */
async function loadError(target: string): Promise<ManifestError> {
  try {
    await loadApp(target);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  assert.fail(`expected ${target} to fail`);
}

function writeManifest(name: string, text: string): string {
  const file = path.join(appDir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('loadApp on the example manifest', () => {
  it('normalizes it into an App with absolute paths and source lines', async () => {
    const manifestPath = path.join(appDir, 'skiff.toml');
    const app = await loadApp(appDir);
    assert.equal(app.manifestPath, manifestPath);
    assert.equal(app.baseDir, appDir);
    assert.deepEqual([app.name, app.version, app.description], ['hello', '0.1.0', 'Says hello']);
    assert.deepEqual(app.triggers, [
      { type: 'http', route: '/hello/...', component: 'hello-js', where: { file: manifestPath, line: 6 } },
    ]);
    assert.deepEqual([...app.components.keys()], ['hello-js']);
    assert.deepEqual(app.components.get('hello-js'), {
      id: 'hello-js',
      source: path.join(root, 'fixtures', 'js', 'hello', 'hello.wasm'),
      description: 'The JS greeter',
      environment: { GREETING: 'hi' },
      files: [
        { hostPath: path.join(appDir, 'static'), guestPath: '/static', readOnly: true },
        { hostPath: path.join(appDir, 'assets'), guestPath: '/assets', readOnly: true },
      ],
      allowedOutboundHosts: ['https://example.com:443', 'http://127.0.0.1:*', 'https://*.example.com'],
      build: { command: 'npm run build', workdir: appDir, watch: ['src/**/*.js'] },
      where: { file: manifestPath, line: 9 },
    });
  });

  it('accepts the manifest path itself, relative to the working directory', async () => {
    const relative = path.relative(process.cwd(), path.join(appDir, 'skiff.toml'));
    assert.equal((await loadApp(relative)).manifestPath, path.join(appDir, 'skiff.toml'));
  });

  it('keeps components and routes in manifest order, with private routes and writable mounts', async () => {
    const file = writeManifest(
      'order.toml',
      toml(
        ...VALID_LINES.slice(0, 3),
        '[component.zeta]', // 4
        'source = "app.wasm"',
        'files = [{ source = "assets", destination = "/data/", read_only = false }]',
        '[component.alpha]', // 7
        'source = "app.wasm"',
        '[[trigger.http]]', // 9
        'route = "/z/"',
        'component = "zeta"',
        '[[trigger.http]]', // 12
        'route = { private = true }',
        'component = "alpha"',
      ),
    );
    const app = await loadApp(file);
    assert.deepEqual([...app.components.keys()], ['zeta', 'alpha']);
    assert.deepEqual(app.components.get('zeta')?.files, [
      { hostPath: path.join(appDir, 'assets'), guestPath: '/data', readOnly: false },
    ]);
    assert.deepEqual(
      app.triggers.map((r) => [r.route, r.component, r.where?.line]),
      [
        ['/z', 'zeta', 9],
        [{ private: true }, 'alpha', 12],
      ],
    );
  });
});

describe('loadApp errors', () => {
  it('a missing path names it and suggests --from or --component', async () => {
    const missing = path.join(root, 'nowhere', 'skiff.toml');
    const error = await loadError(missing);
    assert.equal(error.problems[0]?.file, missing);
    assert.match(error.message, /manifest not found: .*nowhere/);
    assert.match(error.message, /--from PATH.*skiff up --component FILE\.wasm/);
  });

  it('a WebAssembly binary given as the manifest suggests --component instead of parsing it as TOML', async () => {
    const wasm = path.join(import.meta.dirname, '..', '..', 'fixtures', 'rust', 'hello', 'hello.wasm');
    const error = await loadError(wasm);
    assert.match(error.message, /this is a WebAssembly binary, not a skiff\.toml/);
    assert.match(error.message, /skiff up --component .*hello\.wasm/);
    assert.doesNotMatch(error.message, /\0asm|invalid TOML/i);
  });

  it('a folder with a spin.toml and no skiff.toml is read as that spin.toml; with neither, names both', async () => {
    const folder = path.join(root, 'spin-app');
    fs.mkdirSync(folder);
    const error = await loadError(folder);
    assert.equal(error.problems[0]?.file, path.join(folder, 'skiff.toml'));
    assert.match(error.message, /no skiff\.toml \(or spin\.toml\) in .*spin-app/);
    fs.writeFileSync(path.join(folder, 'spin.toml'), 'spin_manifest_version = 2\n');
    const spinError = await loadError(folder);
    assert.equal(spinError.problems[0]?.file, path.join(folder, 'spin.toml'));
    assert.match(spinError.message, /missing \[application\] table/);
  });

  it('TOML syntax errors come out with file:line:column', async () => {
    const file = writeManifest(
      'syntax.toml',
      toml('skiff_manifest_version = 1', '[application]', 'name = "demo', ''),
    );
    const error = await loadError(file);
    assert.equal(error.problems.length, 1);
    assert.deepEqual([error.problems[0]?.line, typeof error.problems[0]?.column], [3, 'number']);
    assert.match(error.message, /syntax\.toml:3:\d+: invalid TOML: /);
    assert.match(error.message, /check the syntax of `name = "demo`/);
  });

  it('a table defined twice is a syntax error on the second header', async () => {
    const file = writeManifest('twice.toml', toml(...VALID_LINES, '[application]', 'version = "1"'));
    assert.equal((await loadError(file)).problems[0]?.line, 9);
  });

  it('rejects __proto__ keys instead of passing them on', async () => {
    const file = writeManifest('proto.toml', toml(...VALID_LINES, 'environment = { __proto__ = "x" }'));
    assert.match((await loadError(file)).message, /proto\.toml:9:\d+: invalid TOML/);
  });

  it('collects every problem, sorted by line, one per message line', async () => {
    const file = writeManifest(
      'many.toml',
      toml(
        '[application]', // 1 (and the missing version is reported on line 1)
        'name = "Demo"',
        '[[trigger.http]]',
        'route = "nope"', // 4
        'component = "api"',
        '[component.api]', // 6
        'sorce = "app.wasm"', // 7
      ),
    );
    const cwd = process.cwd();
    process.chdir(root); // the message shows the manifest relative to the working directory
    try {
      const error = await loadError(file);
      assert.deepEqual(
        error.problems.map((p) => p.line),
        [1, 2, 4, 6, 7],
      );
      const lines = error.message.split('\n');
      assert.equal(lines.length, 5);
      assert.equal(
        lines[4],
        'examples/hello/many.toml:7: unknown key "sorce" in [component.api] — did you mean "source"?',
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it('shows paths outside the working directory as absolute', async () => {
    const file = writeManifest('outside.toml', toml(...VALID_LINES, 'sorce = "x"'));
    const cwd = process.cwd();
    process.chdir(path.join(root, 'fixtures'));
    try {
      assert.match(
        (await loadError(file)).message,
        new RegExp(`^${file.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9: `),
      );
    } finally {
      process.chdir(cwd);
    }
  });
});
