/** Rule tables for [[trigger.http]]: route syntax, reserved and duplicate routes, component references. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { itReportsEach, problemsOf, toml, useAppDir, VALID_LINES, withExtra, withLine } from './testing.ts';

const app = useAppDir();

describe('[[trigger.http]] routes', () => {
  /** The valid manifest plus a second trigger whose route is `route` (line 10) and component `component` (line 11). */
  const secondTrigger = (route: string, component = '"api"') =>
    withExtra('[[trigger.http]]', `route = ${route}`, `component = ${component}`);
  itReportsEach(app, [
    {
      name: 'no leading slash',
      toml: withLine(5, 'route = "hello"'),
      line: 5,
      message: 'write it as "/hello"',
    },
    {
      name: 'wildcard in the middle',
      toml: withLine(5, 'route = "/a/.../b"'),
      line: 5,
      message: '"..." before the end',
    },
    {
      name: 'reserved health route',
      toml: withLine(5, 'route = "/.well-known/skiff/health"'),
      line: 5,
      message: 'reserves for itself',
    },
    {
      name: 'reserved prefix wildcard',
      toml: withLine(5, 'route = "/.well-known/skiff/..."'),
      line: 5,
      message: 'reserves for itself',
    },
    {
      name: 'duplicate: same paths, other parameter name',
      toml: toml(
        ...VALID_LINES.slice(0, 4),
        'route = "/u/:id"',
        ...VALID_LINES.slice(5),
        '[[trigger.http]]',
        'route = "/u/:name"',
        'component = "api"',
      ),
      line: 10,
      message: 'matches the same paths as "/u/:id" on line 5); each route may be served by one component',
    },
    {
      name: 'duplicate: trailing slash',
      toml: secondTrigger('"/.../"'),
      line: 10,
      message: 'duplicate route "/.../"',
    },
    {
      name: 'private = false',
      toml: withLine(5, 'route = { private = false }'),
      line: 5,
      message: '"private" in route = { … } of [[trigger.http]] must be true',
    },
    {
      name: 'empty route table',
      toml: withLine(5, 'route = {}'),
      line: 5,
      message: 'a table route needs private = true',
    },
    {
      name: 'missing route',
      toml: withLine(5, '# no route'),
      line: 4,
      message: 'missing "route" in [[trigger.http]]',
    },
    {
      name: 'missing component',
      toml: withLine(6, '# no component'),
      line: 4,
      message: 'missing "component" in [[trigger.http]]',
    },
    {
      name: 'misspelled component',
      toml: withLine(6, 'component = "apj"'),
      line: 6,
      message: 'names component "apj", which is not declared — did you mean "api"?',
    },
    {
      name: 'unknown component',
      toml: withLine(6, 'component = "zzz"'),
      line: 6,
      message: 'declare it with [component.zzz]',
    },
    {
      name: 'inline component table',
      toml: withLine(6, 'component = { source = "app.wasm" }'),
      line: 6,
      message: 'inline component tables are not supported',
    },
    {
      name: 'error in the third trigger',
      toml: withExtra(
        '[[trigger.http]]',
        'route = "/a"',
        'component = "api"',
        '[[trigger.http]]',
        'route = "b"',
        'component = "api"',
      ),
      line: 13,
      message: 'write it as "/b"',
    },
  ]);

  it('private routes may repeat, and /.well-known/skiffy is not reserved', async () => {
    const text = withExtra(
      '[[trigger.http]]',
      'route = { private = true }',
      'component = "api"',
      '[[trigger.http]]',
      'route = { private = true }',
      'component = "api"',
      '[[trigger.http]]',
      'route = "/.well-known/skiffy"',
      'component = "api"',
    );
    assert.deepEqual(await problemsOf(app.dir, text), []);
  });
});
