/** Rule tables for the top level, [application] and key checks everywhere: each case names the line and message. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itReportsEach, problemsOf, toml, useAppDir, VALID_LINES, withExtra, withLine } from './testing.ts';

const app = useAppDir();

it('the valid base manifest that the cases vary loads without problems', async () => {
  assert.deepEqual(await problemsOf(app.dir, toml(...VALID_LINES)), []);
});

describe('manifest version', () => {
  itReportsEach(app, [
    {
      name: 'missing version',
      toml: withLine(1, '# no version'),
      line: 1,
      message: 'add `skiff_manifest_version = 1`',
    },
    {
      name: 'another version',
      toml: withLine(1, 'skiff_manifest_version = 2'),
      line: 1,
      message: 'version 2 is not supported',
    },
    {
      name: 'version as a string',
      toml: withLine(1, 'skiff_manifest_version = "1"'),
      line: 1,
      message: 'must be the integer 1',
    },
    {
      name: 'version located below comments',
      toml: toml('# my app', '', 'skiff_manifest_version = 3', ...VALID_LINES.slice(1)),
      line: 3,
      message: 'version 3 is not supported',
    },
    {
      name: 'a Spin 1 manifest',
      toml: toml('spin_manifest_version = "1"', ...VALID_LINES.slice(1)),
      line: 1,
      message: 'Skiff reads version 2',
    },
  ]);

  it('a Spin manifest of a version Skiff does not read gets that one problem, not one per key', async () => {
    const problems = await problemsOf(
      app.dir,
      toml('spin_manifest_version = "1"', '[variables]', 'x = { default = "1" }', '[[component]]'),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /this is a Spin 1 manifest/);
  });
});

describe('unknown keys get a "did you mean" among the keys valid at that spot', () => {
  itReportsEach(app, [
    { name: 'top level', toml: withLine(7, '[componet.api]'), line: 7, message: 'did you mean "component"?' },
    {
      name: '[application]',
      toml: withLine(3, 'nmae = "demo"'),
      line: 3,
      message: 'unknown key "nmae" in [application]',
    },
    {
      name: '[component.X]',
      toml: withExtra('sorce = "x.wasm"'),
      line: 9,
      message: 'did you mean "source"?',
    },
    {
      name: 'prefix of a key',
      toml: withExtra('env = { A = "1" }'),
      line: 9,
      message: 'did you mean "environment"?',
    },
    {
      name: 'swapped letters',
      toml: withExtra('descirption = "x"'),
      line: 9,
      message: 'did you mean "description"?',
    },
    {
      name: '[[trigger.http]]',
      toml: withLine(5, 'rout = "/..."'),
      line: 5,
      message: 'did you mean "route"?',
    },
    {
      name: '[component.X.build]',
      toml: withExtra('[component.api.build]', 'command = "make"', 'comand = "make"'),
      line: 11,
      message: 'did you mean "command"?',
    },
    {
      name: 'files table',
      toml: withExtra('files = [{ source = "assets", dest = "/a" }]'),
      line: 9,
      message: 'did you mean "destination"?',
    },
    {
      name: 'private route table',
      toml: withLine(5, 'route = { privat = true }'),
      line: 5,
      message: 'did you mean "private"?',
    },
    {
      name: 'trigger type',
      toml: withLine(4, '[[trigger.https]]'),
      line: 4,
      message: 'did you mean [[trigger.http]]?',
    },
    {
      name: 'nothing close: list the valid keys',
      toml: withExtra('colour = "red"'),
      line: 9,
      message: 'valid keys here: source,',
    },
  ]);
});

describe('wrong types name the expected type', () => {
  itReportsEach(app, [
    {
      name: 'application is not a table',
      toml: withLine(2, 'application = "demo"'),
      line: 2,
      message: 'must be a table, got a string',
    },
    {
      name: 'name is a number',
      toml: withLine(3, 'name = 5'),
      line: 3,
      message: '"name" in [application] must be a string, got an integer (5)',
    },
    {
      name: 'route is a number',
      toml: withLine(5, 'route = 5'),
      line: 5,
      message: 'must be a string or { private = true }, got an integer (5)',
    },
    {
      name: 'component ref is a bool',
      toml: withLine(6, 'component = true'),
      line: 6,
      message: 'must be a string, got a boolean',
    },
    {
      name: 'source is a number',
      toml: withLine(8, 'source = 5'),
      line: 8,
      message: '"source" in [component.api] must be a string',
    },
    {
      name: 'environment is a string',
      toml: withExtra('environment = "x"'),
      line: 9,
      message: '"environment" in [component.api] must be a table, got a string',
    },
    {
      name: 'environment value is a number',
      toml: withExtra('environment = { PORT = 8080 }'),
      line: 9,
      message: 'quote it: PORT = "8080"',
    },
    {
      name: 'files is a string',
      toml: withExtra('files = "static"'),
      line: 9,
      message: '"files" in [component.api] must be an array',
    },
    {
      name: 'files entry is a number',
      toml: withExtra('files = [1]'),
      line: 9,
      message: 'must be a path or a table, got an integer',
    },
    {
      name: 'read_only is a string',
      toml: withExtra('files = [{ source = "assets", destination = "/a", read_only = "yes" }]'),
      line: 9,
      message: 'must be a boolean',
    },
    {
      name: 'hosts is a string',
      toml: withExtra('allowed_outbound_hosts = "https://a.com"'),
      line: 9,
      message: 'must be an array of strings',
    },
    {
      name: 'hosts hold a number',
      toml: withExtra('allowed_outbound_hosts = [443]'),
      line: 9,
      message: 'must hold only strings, got an integer',
    },
    {
      name: 'watch is a string',
      toml: withExtra('[component.api.build]', 'command = "make"', 'watch = "src"'),
      line: 11,
      message: 'must be an array of strings',
    },
    {
      name: 'build is a string',
      toml: withExtra('build = "make"'),
      line: 9,
      message: '"build" in [component.api] must be a table',
    },
    {
      name: 'component is not a table',
      toml: toml(
        'skiff_manifest_version = 1',
        'component.api = "app.wasm"',
        '[application]',
        'name = "demo"',
      ),
      line: 2,
      message: 'component "api" must be a table',
    },
    {
      name: 'single [trigger.http] table',
      toml: withLine(4, '[trigger.http]'),
      line: 4,
      message: 'write [[trigger.http]] with double brackets',
    },
  ]);
});

describe('application name', () => {
  itReportsEach(app, [
    {
      name: 'spaces and capitals',
      toml: withLine(3, 'name = "Hello App"'),
      line: 3,
      message: 'write name = "hello-app"',
    },
    { name: 'empty', toml: withLine(3, 'name = ""'), line: 3, message: '"name" in [application] is empty' },
    {
      name: 'missing',
      toml: withLine(3, 'version = "1.0.0"'),
      line: 2,
      message: 'missing "name" in [application]',
    },
    {
      name: 'no [application]',
      toml: toml(VALID_LINES[0] ?? '', ...VALID_LINES.slice(3)),
      line: 1,
      message: 'missing [application] table',
    },
  ]);
});

describe('variables and key-value stores', () => {
  itReportsEach(app, [
    {
      name: 'a template naming an undeclared variable gets a did-you-mean',
      toml: withExtra(
        'variables = { greeting = "{{ greting }}" }',
        '[variables]',
        'greeting = { default = "hi" }',
      ),
      line: 9,
      message: 'refers to {{ greting }}, which [variables] does not declare — did you mean {{ greeting }}?',
    },
    {
      name: 'a variable that is required and has a default',
      toml: withExtra('[variables]', 'token = { default = "x", required = true }'),
      line: 10,
      message: 'variable "token" is required and has a default',
    },
    {
      name: 'a variable name Spin would refuse',
      toml: withExtra('[variables]', 'Api-Token = { required = true }'),
      line: 10,
      message: 'invalid variable name "Api-Token"',
    },
    {
      name: 'an unknown key of a variable',
      toml: withExtra('[variables]', 'token = { required = true, secert = true }'),
      line: 10,
      message: 'did you mean "secret"',
    },
    {
      name: 'a key-value store label with a character Spin does not allow',
      toml: withExtra('key_value_stores = ["my store"]'),
      line: 9,
      message: 'invalid key-value store label "my store"',
    },
  ]);
});

describe('known but not yet supported keys', () => {
  const notYet = 'is not supported yet by this version of Skiff';
  itReportsEach(app, [
    {
      name: 'sqlite_databases',
      toml: withExtra('sqlite_databases = ["default"]'),
      line: 9,
      message: `"sqlite_databases" in [component.api] ${notYet}`,
    },
    {
      name: 'ai_models',
      toml: withExtra('ai_models = ["llama2-chat"]'),
      line: 9,
      message: `"ai_models" in [component.api] ${notYet}`,
    },
    {
      name: 'a redis trigger',
      toml: withExtra('[[trigger.redis]]', 'channel = "jobs"', 'component = "api"'),
      line: 9,
      message: `the "redis" trigger ${notYet}`,
    },
  ]);
});
