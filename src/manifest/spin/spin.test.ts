/** Spin manifests (version 2): what maps onto Skiff's app, and what is refused, by name, at its line. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadApp } from '../load.ts';
import { itReportsEach, problemsOf, toml, useAppDir } from '../testing.ts';

const app = useAppDir();

/** A valid Spin manifest the cases vary; lines 1–8, extra lines go inside [component.api] from line 9. */
const SPIN_LINES = [
  'spin_manifest_version = 2',
  '[application]',
  'name = "demo"',
  '[[trigger.http]]',
  'route = "/..."',
  'component = "api"',
  '[component.api]',
  'source = "app.wasm"',
];
const spin = (...extra: string[]): string => toml(...SPIN_LINES, ...extra);

async function load(text: string) {
  const file = path.join(app.dir, 'spin.toml');
  fs.writeFileSync(file, text);
  return loadApp(file);
}

describe('a Spin manifest maps onto the app it means', () => {
  it('keys with the same meaning, Spin-only forms rewritten, metadata dropped', async () => {
    const loaded = await load(
      toml(
        'spin_manifest_version = 2',
        '[application]',
        'name = "demo"',
        'version = "1.2.3"',
        'authors = ["a <a@example.com>"]',
        'targets = ["spin-up:3.3"]',
        '[application.trigger.http]',
        'base = "/"',
        '[application.tool.some-plugin]',
        'x = 1',
        '[variables]',
        'token = { required = true, secret = true, description = "the API token" }',
        '[[trigger.http]]',
        'id = "main"',
        'route = "/api/..."',
        'component = "api"',
        'executor = { type = "http" }',
        '[component.api]',
        'source = "app.wasm"',
        'description = "the API"',
        'environment = { LEVEL = "debug" }',
        'files = ["static/**/*", "notes.txt", { source = "assets", destination = "data" }]',
        'allowed_outbound_hosts = ["https://example.com", "http://127.0.0.1:*", "https://*.example.org:8443"]',
        'key_value_stores = ["default", "cache"]',
        'variables = { token = "{{ token }}" }',
        'sqlite_databases = []',
        'targets = ["spin-up:3.3"]',
        '[component.api.build]',
        'command = ["cargo build --release", "wasm-opt app.wasm"]',
        'workdir = "static"',
        'watch = ["src/**/*.rs"]',
        '[component.api.tool.x]',
        'y = 2',
        '[component.api.profile.debug]',
        'environment = { LEVEL = "trace" }',
      ),
    );
    assert.equal(loaded.name, 'demo');
    assert.equal(loaded.version, '1.2.3');
    assert.deepEqual(loaded.variables, {
      token: { required: true, secret: true, where: { file: loaded.manifestPath, line: 12 } },
    });
    assert.deepEqual(loaded.triggers, [
      { type: 'http', route: '/api/...', component: 'api', where: { file: loaded.manifestPath, line: 13 } },
    ]);
    const api = loaded.components.get('api');
    assert.ok(api);
    assert.equal(api.description, 'the API');
    assert.deepEqual(api.environment, { LEVEL: 'debug' });
    assert.deepEqual(api.files, [
      { hostPath: path.join(app.dir, 'static'), guestPath: '/static', readOnly: true },
      { hostPath: path.join(app.dir, 'notes.txt'), guestPath: '/notes.txt', readOnly: true },
      { hostPath: path.join(app.dir, 'assets'), guestPath: '/data', readOnly: true },
    ]);
    assert.deepEqual(api.allowedOutboundHosts, [
      'https://example.com',
      'http://127.0.0.1:*',
      'https://*.example.org:8443',
    ]);
    assert.deepEqual(api.keyValueStores, ['default', 'cache']);
    assert.deepEqual(api.variables, { token: '{{ token }}' });
    assert.deepEqual(api.build, {
      command: 'cargo build --release && wasm-opt app.wasm',
      workdir: path.join(app.dir, 'static'),
      watch: ['src/**/*.rs'],
    });
    assert.equal(api.where?.line, 18);
  });

  it("inline components get the ids Spin gives them, and their problems the trigger's lines", async () => {
    const loaded = await load(
      toml(
        'spin_manifest_version = 2',
        '[application]',
        'name = "demo"',
        '[[trigger.http]]',
        'id = "web"',
        'route = "/web/..."',
        'component = { source = "app.wasm", files = ["static"] }',
        '[[trigger.http]]',
        'route = "/a"',
        '[trigger.http.component]',
        'source = "app.wasm"',
        '[[trigger.http]]',
        'route = "/b"',
        'component = { source = "app.wasm" }',
        '[component.inline-component1]',
        'source = "app.wasm"',
      ),
    );
    assert.deepEqual(
      loaded.triggers.map((t) => [t.route, t.component, t.where?.line]),
      [
        ['/web/...', 'web-component', 4],
        ['/a', 'inline-component2', 8],
        ['/b', 'inline-component3', 12],
      ],
    );
    assert.deepEqual(loaded.components.get('web-component')?.files, [
      { hostPath: path.join(app.dir, 'static'), guestPath: '/static', readOnly: true },
    ]);
    assert.equal(loaded.components.get('web-component')?.where?.line, 7);
    assert.equal(loaded.components.get('inline-component2')?.where?.line, 10);

    const problems = await problemsOf(
      app.dir,
      toml(
        'spin_manifest_version = 2',
        '[application]',
        'name = "demo"',
        '[[trigger.http]]',
        'route = "/web/..."',
        'component = { source = "nope.wasm" }',
        '[[trigger.http]]',
        'route = "/a"',
        '[trigger.http.component]',
        'source = "app.wasm"',
        'environment = { A = 1 }',
      ),
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [6, 11],
    );
    assert.match(problems[0]?.message ?? '', /^source of component "inline-component1" not found/);
    assert.match(problems[1]?.message ?? '', /^environment variable "A" in \[component\.inline-component2\]/);
  });

  it('what `spin new` writes when asked nothing (an empty description, no trigger) loads', async () => {
    const loaded = await load(
      toml(
        '#:schema https://schemas.spinframework.dev/spin/manifest-v2/latest.json',
        'spin_manifest_version = 2',
        '[application]',
        'name = "empty"',
        'version = "0.1.0"',
        'authors = [""]',
        'description = ""',
      ),
    );
    assert.deepEqual([loaded.name, loaded.description, loaded.triggers], ['empty', undefined, []]);
  });

  it("Skiff's own rules apply, at the spin.toml's lines", async () => {
    const problems = await problemsOf(
      app.dir,
      spin('[[trigger.http]]', 'route = "/..."', 'component = "api"'),
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.line, 10);
    assert.match(problems[0]?.message ?? '', /duplicate route "\/\.\.\."/);
  });
});

describe('what Skiff cannot honour is refused by name, at its line, with what to do', () => {
  itReportsEach(app, [
    {
      name: 'a Spin 1 manifest',
      toml: toml('spin_manifest_version = "1"', 'name = "demo"'),
      line: 1,
      message: 'this is a Spin 1 manifest',
    },
    {
      name: 'another manifest version',
      toml: toml('# a comment', 'spin_manifest_version = 3', ...SPIN_LINES.slice(1)),
      line: 2,
      message: 'spin_manifest_version must be 2, got 3',
    },
    {
      name: 'sqlite_databases',
      toml: spin('sqlite_databases = ["default"]'),
      line: 9,
      message: '"sqlite_databases" in [component.api]: Skiff has no SQLite interface',
    },
    {
      name: 'ai_models',
      toml: spin('ai_models = ["llama2-chat"]'),
      line: 9,
      message: 'Skiff has no AI inference interface',
    },
    {
      name: 'exclude_files',
      toml: spin('files = ["static"]', 'exclude_files = ["static/secret.txt"]'),
      line: 10,
      message: 'move what should stay hidden out of the mounted folders',
    },
    {
      name: 'allowed_http_hosts',
      toml: spin('allowed_http_hosts = ["example.com"]'),
      line: 9,
      message: 'write allowed_outbound_hosts = ["https://example.com"] instead',
    },
    {
      name: '[component.x.dependencies]',
      toml: spin('[component.api.dependencies]', '"acme:lib/api" = { path = "lib.wasm" }'),
      line: 9,
      message: 'compose them ahead of time (`wac plug',
    },
    {
      name: 'dependencies_inherit_configuration',
      toml: spin('dependencies_inherit_configuration = true'),
      line: 9,
      message: '"dependencies_inherit_configuration" in [component.api]',
    },
    {
      name: 'a source URL says how to download it',
      toml: toml(
        ...SPIN_LINES.slice(0, 7),
        'source = { url = "https://example.com/api.wasm", digest = "sha256:ab12" }',
      ),
      line: 8,
      message:
        'download it (curl -fL -o api.wasm https://example.com/api.wasm), check it (sha256sum api.wasm must print ab12), then write source = "api.wasm"',
    },
    {
      name: 'a registry source says how to fetch it',
      toml: toml(
        ...SPIN_LINES.slice(0, 7),
        'source = { registry = "ghcr.io", package = "acme:api", version = "1.0.0" }',
      ),
      line: 8,
      message: 'fetch it (wkg get --registry ghcr.io -o api.wasm acme:api@1.0.0)',
    },
    {
      name: 'a files glob other than dir/**/*',
      toml: spin('files = [', '  "static",', '  "static/*.html",', ']'),
      line: 11,
      message: '"files" entry "static/*.html" in [component.api] picks files by a glob pattern',
    },
    {
      name: 'a {{ variable }} in allowed_outbound_hosts',
      toml: spin('allowed_outbound_hosts = [', '  "https://example.com",', '  "https://{{ host }}",', ']'),
      line: 11,
      message: 'uses a variable; Skiff fixes outbound grants when the app loads',
    },
    {
      name: 'self requests',
      toml: spin('allowed_outbound_hosts = ["http://self"]'),
      line: 9,
      message: "is Spin's self-request grant",
    },
    {
      name: 'a database client grant',
      toml: spin('allowed_outbound_hosts = ["postgres://db.example.com:5432"]'),
      line: 9,
      message: "is for Spin's postgres client",
    },
    {
      name: 'an IP range',
      toml: spin('allowed_outbound_hosts = ["http://10.0.0.0/8:80"]'),
      line: 9,
      message: 'is an IP range (CIDR)',
    },
    {
      name: 'a skiff.toml key in a spin.toml',
      toml: spin('max_memory = "64MiB"'),
      line: 9,
      message: 'pass --max-memory to skiff up',
    },
    {
      name: 'a typo',
      toml: spin('key_value_store = ["default"]'),
      line: 9,
      message: 'did you mean "key_value_stores"?',
    },
    {
      name: 'a redis trigger',
      toml: spin('[[trigger.redis]]', 'channel = "orders"', 'component = "api"'),
      line: 9,
      message: "[[trigger.redis]]: Skiff has HTTP triggers only, not Spin's redis trigger",
    },
    {
      name: '[application.trigger.redis]',
      toml: toml(
        ...SPIN_LINES.slice(0, 3),
        '[application.trigger.redis]',
        'address = "redis://x"',
        ...SPIN_LINES.slice(3),
      ),
      line: 4,
      message: '[application.trigger.redis] configures the redis trigger, which Skiff does not have',
    },
    {
      name: 'a route base other than /',
      toml: toml(
        ...SPIN_LINES.slice(0, 3),
        '[application.trigger.http]',
        'base = "/api"',
        ...SPIN_LINES.slice(3),
      ),
      line: 4,
      message: 'prepend the base to each [[trigger.http]] route',
    },
    {
      name: 'static_response',
      toml: spin('[[trigger.http]]', 'route = "/static"', 'static_response = { status_code = 204 }'),
      line: 11,
      message: '"static_response" in [[trigger.http]]: Skiff answers every route with a component',
    },
    {
      name: 'trigger middleware',
      toml: toml(
        ...SPIN_LINES.slice(0, 6),
        'dependencies = { middleware = [{ path = "mw.wasm" }] }',
        ...SPIN_LINES.slice(6),
      ),
      line: 7,
      message: "Skiff does not compose Spin's trigger middleware",
    },
    {
      name: 'a Wagi executor',
      toml: toml(...SPIN_LINES.slice(0, 6), 'executor = { type = "wagi" }', ...SPIN_LINES.slice(6)),
      line: 7,
      message: 'Skiff does not run Wagi (CGI-style) modules',
    },
    {
      name: 'a refusal inside an inline component points at the trigger',
      toml: toml(
        ...SPIN_LINES.slice(0, 4),
        'route = "/x"',
        'component = { source = "app.wasm", ai_models = ["llama2-chat"] }',
        ...SPIN_LINES.slice(3),
      ),
      line: 6,
      message: '"ai_models" in the inline component "inline-component1"',
    },
  ]);

  it("a refused value gets one problem, not also Skiff's generic one", async () => {
    const problems = await problemsOf(
      app.dir,
      toml(
        ...SPIN_LINES.slice(0, 7),
        'source = { url = "https://example.com/a.wasm", digest = "sha256:0" }',
        'files = ["*.txt"]',
        'allowed_outbound_hosts = ["https://{{ h }}"]',
      ),
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [8, 9, 10],
      problems.map((p) => p.message).join('\n'),
    );
  });

  it('refused keys that ask for nothing are accepted', async () => {
    assert.deepEqual(
      await problemsOf(
        app.dir,
        spin('sqlite_databases = []', 'ai_models = []', 'dependencies_inherit_configuration = false'),
      ),
      [],
    );
  });
});
