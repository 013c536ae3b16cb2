import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDir, parseEnv, parseOptions, UsageError } from './options.ts';
import { parseListen } from './up.ts';

const SPEC = { env: 'list', listen: 'string', watch: 'boolean' } as const;

test('options before the file are Skiff’s; everything after belongs to the guest', () => {
  const o = parseOptions(['--env', 'A=1', '--env=B=2', 'app.wasm', '--env', 'C=3', 'x'], SPEC, true);
  assert.deepEqual(o.values.get('env'), ['A=1', 'B=2']);
  assert.deepEqual(o.positionals, ['app.wasm', '--env', 'C=3', 'x']);
});

test('unknown options and missing values are usage errors', () => {
  assert.throws(
    () => parseOptions(['--nope'], SPEC, false),
    (e: unknown) => e instanceof UsageError && /unknown option --nope/.test(e.message),
  );
  assert.throws(() => parseOptions(['--listen'], SPEC, false), /--listen needs a value/);
});

test('--env needs NAME=VALUE and keeps "=" inside values', () => {
  assert.deepEqual(parseEnv(['A=1', 'B=x=y', 'C=']), { A: '1', B: 'x=y', C: '' });
  assert.throws(() => parseEnv(['=1']), /expected NAME=VALUE/);
  assert.throws(() => parseEnv(['JUSTNAME']), /expected NAME=VALUE/);
});

test('--dir mounts are read-only unless ::rw', () => {
  assert.deepEqual(parseDir('/srv/data::/data'), {
    hostPath: '/srv/data',
    guestPath: '/data',
    readOnly: true,
  });
  assert.deepEqual(parseDir('/srv/data::/data::rw'), {
    hostPath: '/srv/data',
    guestPath: '/data',
    readOnly: false,
  });
  assert.deepEqual(parseDir('/srv/data'), { hostPath: '/srv/data', guestPath: '/srv/data', readOnly: true });
  assert.deepEqual(parseDir('/srv/data::.'), { hostPath: '/srv/data', guestPath: '/', readOnly: true });
  assert.throws(() => parseDir('/srv::data'), /guest path must be absolute/);
});

test('--listen takes HOST:PORT, IPv6 in brackets, port 0 for a free one', () => {
  assert.deepEqual(parseListen('127.0.0.1:3000'), { host: '127.0.0.1', port: 3000 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.throws(() => parseListen('3000'), /expected HOST:PORT/);
  assert.throws(() => parseListen('localhost:70000'), /expected HOST:PORT/);
});
