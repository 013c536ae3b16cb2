/** Rule tables for [component.X]: ids, source, files, environment, outbound hosts, build. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itReportsEach, problemsOf, toml, useAppDir, VALID_LINES, withExtra } from './testing.ts';

const app = useAppDir();

/** A manifest whose only component has id `id` (header on line 4), with no trigger. */
const withComponentId = (id: string): string =>
  toml(
    'skiff_manifest_version = 1',
    '[application]',
    'name = "demo"',
    `[component.${id}]`,
    'source = "app.wasm"',
  );

describe('component ids', () => {
  itReportsEach(app, [
    { name: 'capitals', toml: withComponentId('Api'), line: 4, message: 'rename it, e.g. [component.api]' },
    {
      name: 'double dash',
      toml: withComponentId('my--api'),
      line: 4,
      message: 'invalid component id "my--api"',
    },
    { name: 'trailing dash', toml: withComponentId('api-'), line: 4, message: 'invalid component id "api-"' },
    {
      name: 'leading digit',
      toml: withComponentId('"1api"'),
      line: 4,
      message: 'invalid component id "1api"',
    },
    {
      name: 'dot in a quoted id',
      toml: withComponentId('"a.b"'),
      line: 4,
      message: 'invalid component id "a.b"',
    },
  ]);

  it('accepts kebab-case ids with "_" and digits', async () => {
    for (const id of ['api', 'hello-js', 'api_v2', 'a-b_c-2']) {
      assert.deepEqual(await problemsOf(app.dir, withComponentId(id)), [], id);
    }
  });
});

describe('source', () => {
  itReportsEach(app, [
    {
      name: 'missing file',
      toml: toml(...VALID_LINES.slice(0, 7), 'source = "nope.wasm"'),
      line: 8,
      message: 'source of component "api" not found',
    },
    {
      name: 'missing file, no build: check the path',
      toml: toml(...VALID_LINES.slice(0, 7), 'source = "nope.wasm"'),
      line: 8,
      message: 'check the path',
    },
    {
      name: 'missing file with a build section: build first',
      toml: toml(
        ...VALID_LINES.slice(0, 7),
        'source = "nope.wasm"',
        '[component.api.build]',
        'command = "make"',
      ),
      line: 8,
      message: 'build it first: skiff build --from',
    },
    {
      name: 'a folder',
      toml: toml(...VALID_LINES.slice(0, 7), 'source = "static"'),
      line: 8,
      message: 'is a folder, expected a file',
    },
    {
      name: 'missing',
      toml: toml(...VALID_LINES.slice(0, 7), 'description = "x"'),
      line: 7,
      message: 'missing "source" in [component.api]',
    },
    {
      name: 'a URL table',
      toml: toml(...VALID_LINES.slice(0, 7), 'source = { url = "https://x/app.wasm", digest = "sha256:0" }'),
      line: 8,
      message: 'fetching components by URL is not supported yet',
    },
  ]);
});

describe('files', () => {
  itReportsEach(app, [
    {
      name: 'missing folder',
      toml: withExtra('files = ["nope"]'),
      line: 9,
      message: '"files" source "nope" of [component.api] not found',
    },
    {
      name: 'outside the manifest folder',
      toml: withExtra('files = ["../elsewhere"]'),
      line: 9,
      message: 'use the table form: { source = "../elsewhere", destination = "/elsewhere" }',
    },
    {
      name: 'absolute shorthand',
      toml: withExtra('files = ["/etc"]'),
      line: 9,
      message: 'is not inside the manifest folder',
    },
    { name: 'glob', toml: withExtra('files = ["static/*.html"]'), line: 9, message: 'is a glob pattern' },
    {
      name: 'relative destination',
      toml: withExtra('files = [{ source = "assets", destination = "assets" }]'),
      line: 9,
      message: 'is not an absolute path',
    },
    {
      name: 'destination with ..',
      toml: withExtra('files = [{ source = "assets", destination = "/a/../b" }]'),
      line: 9,
      message: 'contains ".."',
    },
    {
      name: 'missing destination',
      toml: withExtra('files = [{ source = "assets" }]'),
      line: 9,
      message: 'missing "destination"',
    },
    {
      name: 'missing table source',
      toml: withExtra('files = [{ source = "nope", destination = "/n" }]'),
      line: 9,
      message: 'not found',
    },
    {
      name: 'two mounts at one destination (multi-line array)',
      toml: withExtra('files = [', '  "static",', '  { source = "assets", destination = "/static/" },', ']'),
      line: 11,
      message: 'mount at guest path "/static" (the first on line 10)',
    },
  ]);
});

describe('environment', () => {
  itReportsEach(app, [
    {
      name: 'name with "="',
      toml: withExtra('environment = { "A=B" = "x" }'),
      line: 9,
      message: 'invalid environment variable name "A=B"',
    },
    {
      name: 'bad value in a multi-line table',
      toml: withExtra('[component.api.environment]', 'GOOD = "1"', 'BAD = false'),
      line: 11,
      message: 'quote it: BAD = "false"',
    },
  ]);
});

describe('allowed_outbound_hosts', () => {
  const hosts = (entry: string) => withExtra(`allowed_outbound_hosts = ["${entry}"]`);
  itReportsEach(app, [
    { name: 'no scheme', toml: hosts('example.com'), line: 9, message: 'write "https://example.com"' },
    {
      name: 'a path',
      toml: hosts('https://example.com/api'),
      line: 9,
      message: 'has a path; only scheme, host and port are matched — write "https://example.com"',
    },
    {
      name: 'other scheme',
      toml: hosts('ftp://example.com'),
      line: 9,
      message: 'scheme must be http, https, tcp, udp or *',
    },
    {
      name: 'wildcard inside a name',
      toml: hosts('https://ex*ample.com'),
      line: 9,
      message: 'a host wildcard must be "*" or "*.domain"',
    },
    {
      name: 'port out of range',
      toml: hosts('https://example.com:99999'),
      line: 9,
      message: 'port out of range',
    },
    {
      name: 'port not a number',
      toml: hosts('https://example.com:http'),
      line: 9,
      message: 'is not of the form scheme://host[:port]',
    },
    {
      name: 'user info',
      toml: hosts('https://me@example.com'),
      line: 9,
      message: 'is not a host name, IP address',
    },
    {
      name: 'second entry of a multi-line array',
      toml: withExtra('allowed_outbound_hosts = [', '  "https://ok.example.com",', '  "bad",', ']'),
      line: 11,
      message: '"bad" has no scheme',
    },
  ]);

  it('accepts the documented forms', async () => {
    const forms = [
      'https://example.com:443',
      'http://127.0.0.1:*',
      'https://*.example.com',
      '*://localhost:3000-3010',
      'http://[::1]:8080',
      'https://example.com',
      '*://*:*',
      'tcp://127.0.0.1:5432',
      'udp://[::1]:*',
    ];
    assert.deepEqual(
      await problemsOf(app.dir, withExtra(`allowed_outbound_hosts = ${JSON.stringify(forms)}`)),
      [],
    );
  });
});

describe('allowed_bind_addresses (wasi:sockets)', () => {
  const bind = (entry: string) => withExtra(`allowed_bind_addresses = ["${entry}"]`);
  itReportsEach(app, [
    {
      name: 'tcp outbound without a port',
      toml: hosts2('tcp://db.example.com'),
      line: 9,
      message: 'needs a port',
    },
    { name: 'a name', toml: bind('tcp://example.com:80'), line: 9, message: 'must be an IP address' },
    {
      name: 'an http scheme',
      toml: bind('http://127.0.0.1:80'),
      line: 9,
      message: 'scheme must be tcp, udp or *',
    },
    { name: 'no port', toml: bind('udp://127.0.0.1'), line: 9, message: 'a udp entry needs a port' },
  ]);

  it('accepts addresses, localhost and wildcards', async () => {
    const forms = ['tcp://127.0.0.1:8080', 'udp://[::1]:*', 'tcp://localhost:3000-3010', 'tcp://0.0.0.0:*'];
    assert.deepEqual(
      await problemsOf(app.dir, withExtra(`allowed_bind_addresses = ${JSON.stringify(forms)}`)),
      [],
    );
  });
});

function hosts2(entry: string): string {
  return withExtra(`allowed_outbound_hosts = ["${entry}"]`);
}

describe('[component.X.build]', () => {
  const build = (...lines: string[]) => withExtra('[component.api.build]', ...lines);
  itReportsEach(app, [
    {
      name: 'missing command',
      toml: build('watch = ["src/**"]'),
      line: 9,
      message: 'missing "command" in [component.api.build]',
    },
    {
      name: 'empty command',
      toml: build('command = ""'),
      line: 10,
      message: '"command" in [component.api.build] is empty',
    },
    {
      name: 'missing workdir',
      toml: build('command = "make"', 'workdir = "nope"'),
      line: 11,
      message: 'build workdir of [component.api] not found',
    },
    {
      name: 'workdir is a file',
      toml: build('command = "make"', 'workdir = "notes.txt"'),
      line: 11,
      message: 'is a file, expected a folder',
    },
  ]);
});

describe('middleware', () => {
  const mw = (id: string, ...lines: string[]) => [`[component.${id}]`, 'source = "app.wasm"', ...lines];
  itReportsEach(app, [
    {
      name: 'an undeclared middleware',
      toml: withExtra('middleware = ["auth"]'),
      line: 9,
      message: 'lists middleware "auth", which is not declared',
    },
    {
      name: 'itself',
      toml: withExtra('middleware = ["api"]'),
      line: 9,
      message: 'lists itself as its middleware',
    },
    {
      name: 'twice',
      toml: withExtra('middleware = ["auth", "auth"]', ...mw('auth')),
      line: 9,
      message: 'lists middleware "auth" twice',
    },
    {
      name: 'a middleware with middleware of its own',
      toml: withExtra('middleware = ["auth"]', ...mw('auth', 'middleware = ["log"]'), ...mw('log')),
      line: 9,
      message: 'middleware = ["log","auth"]',
    },
    {
      name: 'not a list of strings',
      toml: withExtra('middleware = "auth"'),
      line: 9,
      message: 'must be an array of strings',
    },
  ]);

  it('accepts a chain of declared components, outermost first', async () => {
    const text = withExtra('middleware = ["auth", "log"]', ...mw('auth'), ...mw('log'));
    assert.deepEqual(await problemsOf(app.dir, text), []);
  });
});
