/**
 * One suite, run against each key-value backend: SQLite on a temporary file, Redis and NATS
 * JetStream as real servers on loopback ports (test/support/servers.ts; a missing server binary
 * fails the suite, it never skips). Each backend gets the same cases: the semantics backend.ts
 * promises, the limits, isolation of apps and labels, atomicity under concurrent callers (spread
 * over two backend objects, i.e. two connections or file handles), and for the servers what a
 * caller sees while the server is down and after it is back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  type KeyValueBackend,
  KeyValueError,
  type KeyValueStore,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
} from '../../src/capabilities/key-value/backend.ts';
import { createKeyValueBackend } from '../../src/capabilities/key-value/backends/index.ts';
import { startNats, startRedis, type TestServer } from '../support/servers.ts';
import { REPO } from '../support/skiff-process.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
/** Byte-for-byte equality, whatever Uint8Array subclass a backend answers with. */
function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array, message?: string) {
  assert.ok(actual instanceof Uint8Array, message ?? 'a value');
  assert.equal(actual.byteLength, expected.byteLength, message);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected), message);
}

interface Target {
  type: 'sqlite' | 'redis' | 'nats';
  start(): Promise<{ config: Record<string, unknown>; server?: TestServer; dispose(): Promise<void> }>;
}

const TARGETS: Target[] = [
  {
    type: 'sqlite',
    async start() {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-kv-sqlite-'));
      // A folder that does not exist yet: the backend creates it with the file.
      return {
        config: { path: join(dir, 'nested', 'kv.sqlite') },
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    type: 'redis',
    async start() {
      const server = await startRedis();
      return { config: { url: server.url }, server, dispose: () => server.dispose() };
    },
  },
  {
    type: 'nats',
    async start() {
      const server = await startNats();
      return { config: { url: server.url }, server, dispose: () => server.dispose() };
    },
  },
];

/** Every page of `store`'s keys, following cursors to the end. */
async function allPages(store: KeyValueStore): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listKeys(cursor);
    pages.push(page.keys);
    cursor = page.cursor;
    assert.ok(pages.length < 1000, 'listKeys never ends');
  } while (cursor !== undefined);
  return pages;
}

async function rejectsWithKeyValueError(call: Promise<unknown>, pattern?: RegExp): Promise<KeyValueError> {
  let error: unknown;
  await call.then(
    () => assert.fail('expected a KeyValueError, the call succeeded'),
    (e: unknown) => {
      error = e;
    },
  );
  assert.ok(error instanceof KeyValueError, `expected a KeyValueError, got ${error}`);
  if (pattern) assert.match(error.message, pattern);
  return error;
}

/** Retries `call` until it succeeds or `ms` pass; the last failure if it never does. */
async function eventually<T>(call: () => Promise<T>, ms: number): Promise<T> {
  const until = performance.now() + ms;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (performance.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

for (const target of TARGETS) {
  describe(`key-value backend: ${target.type}`, () => {
    let started: Awaited<ReturnType<Target['start']>>;
    const backends: KeyValueBackend[] = [];
    let apps = 0;

    /** A backend object of its own on the same file or server (as another worker process has). */
    const newBackend = () => {
      const backend = createKeyValueBackend(target.type, started.config, {
        baseDir: REPO,
        where: 'test-runtime-config.toml:1',
      });
      backends.push(backend);
      return backend;
    };
    let main: KeyValueBackend;
    let other: KeyValueBackend;
    /** A store of an app no other test uses. */
    const fresh = async (label = 'default') => main.open(`app${++apps}`, label);

    before(async () => {
      started = await target.start();
      main = newBackend();
      other = newBackend();
    });
    after(async () => {
      await Promise.all(backends.map((b) => b.close()));
      await started?.dispose();
    });

    test('get, set, exists, delete', async () => {
      const store = await fresh();
      assert.equal(await store.get('greeting'), undefined);
      assert.equal(await store.exists('greeting'), false);
      await store.set('greeting', bytes('hello'));
      assert.equal(text(await store.get('greeting')), 'hello');
      assert.equal(await store.exists('greeting'), true);
      await store.set('greeting', bytes('hello again'));
      assert.equal(text(await store.get('greeting')), 'hello again');
      await store.delete('greeting');
      assert.equal(await store.get('greeting'), undefined);
      assert.equal(await store.exists('greeting'), false);
      assert.deepEqual((await store.listKeys(undefined)).keys, []);
      await store.delete('never-there');
      await store.set('greeting', bytes('back'));
      assert.equal(text(await store.get('greeting')), 'back');
    });

    test('binary values come back byte for byte; an empty value is a value, not an absence', async () => {
      const store = await fresh();
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store.set('binary', binary);
      sameBytes(await store.get('binary'), binary);
      await store.set('empty', new Uint8Array(0));
      const empty = await store.get('empty');
      assert.ok(empty instanceof Uint8Array, 'an empty value reads as a value');
      assert.equal(empty.byteLength, 0);
      assert.equal(await store.exists('empty'), true);
    });

    test('keys with unicode, spaces, / . * > and other special characters', async () => {
      const store = await fresh();
      const keys = [
        'héllo wörld',
        '日本語/キー',
        'emoji 🎉',
        'a/b/c',
        'a.b',
        '.leading',
        'trailing.',
        'a..b',
        '*',
        '>',
        'a.*.>',
        'with space',
        'tab\tand\nnewline',
        '=starts-with-equals',
        'x:y',
        '%41',
        '[glob]?',
        '\\back\\slash',
        '-',
        '_',
      ];
      for (const [i, key] of keys.entries()) await store.set(key, bytes(`value ${i}`));
      for (const [i, key] of keys.entries()) {
        assert.equal(text(await store.get(key)), `value ${i}`, `key ${JSON.stringify(key)}`);
        assert.equal(await store.exists(key), true);
      }
      assert.deepEqual((await allPages(store)).flat().sort(), [...keys].sort());
      await store.delete('*');
      assert.equal(await store.exists('*'), false);
      assert.equal(await store.exists('>'), true, 'deleting "*" deletes no other key');
    });

    test('list-keys pages 250 keys with cursors: each key exactly once', async () => {
      const store = await fresh();
      const keys = Array.from({ length: 250 }, (_, i) => `key-${String(i).padStart(3, '0')}`);
      await store.setMany(keys.map((k) => [k, bytes(k)]));
      // Another app's and another label's keys are not listed.
      await main.open(`app${apps}-neighbour`, 'default').then((s) => s.set('key-neighbour', bytes('x')));
      await main.open(`app${apps}`, 'other').then((s) => s.set('key-other-label', bytes('x')));
      const pages = await allPages(store);
      assert.ok(pages.length >= 2, `250 keys come in several pages (got ${pages.length})`);
      const listed = pages.flat();
      assert.equal(listed.length, new Set(listed).size, 'no key listed twice');
      assert.deepEqual(listed.sort(), keys);
      // Deleted keys are not listed.
      await store.deleteMany(keys.slice(0, 200));
      assert.deepEqual((await allPages(store)).flat().sort(), keys.slice(200));
      // SQLite's cursor is the last key listed, so any string is one; the servers' are numbers.
      if (target.type !== 'sqlite') await rejectsWithKeyValueError(store.listKeys('not a cursor'));
    });

    test('200 concurrent increments from separate callers on two connections add up to exactly 200', async () => {
      const app = `app${++apps}`;
      const [a, b] = await Promise.all([main.open(app, 'default'), other.open(app, 'default')]);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).increment('counter', 1n)),
      );
      assert.equal(text(await a.get('counter')), '200');
      assert.deepEqual(
        results.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
        Array.from({ length: 200 }, (_, i) => BigInt(i + 1)),
        'every caller saw its own step',
      );
    });

    test('increment: from absent, negative deltas, a stored decimal, 64-bit limits', async () => {
      const store = await fresh();
      assert.equal(await store.increment('n', 5n), 5n);
      assert.equal(await store.increment('n', -7n), -2n);
      assert.equal(text(await store.get('n')), '-2');
      await store.set('typed', bytes('41'));
      assert.equal(await store.increment('typed', 1n), 42n);
      const big = 2n ** 62n;
      assert.equal(await store.increment('big', big), big);
      assert.equal(await store.increment('big', big - 1n), 2n ** 63n - 1n);
      assert.equal(text(await store.get('big')), '9223372036854775807');
      await rejectsWithKeyValueError(store.increment('big', 1n));
      assert.equal(text(await store.get('big')), '9223372036854775807', 'an overflow writes nothing');
    });

    test('increment on a value that is not a decimal integer fails with a KeyValueError', async () => {
      const store = await fresh();
      for (const value of ['not a number', '1.5', '', ' 7']) {
        await store.set('word', bytes(value));
        const error = await rejectsWithKeyValueError(store.increment('word', 1n));
        assert.match(error.message, /store "default"/);
        assert.equal(text(await store.get('word')), value, 'the value is left alone');
      }
    });

    test('compare-and-swap: of 20 concurrent callers exactly one wins each round', async () => {
      const app = `app${++apps}`;
      const [a, b] = await Promise.all([main.open(app, 'default'), other.open(app, 'default')]);
      await a.set('cas', bytes('start'));
      let expected = 'start';
      for (let round = 0; round < 5; round++) {
        const callers = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b));
        // Every caller reads before any swaps, so all of them compete for the same state.
        const tickets = await Promise.all(callers.map((s) => s.current('cas')));
        for (const ticket of tickets) assert.equal(text(ticket.value), expected);
        const won = await Promise.all(
          callers.map((s, i) =>
            s.swap('cas', tickets[i] as (typeof tickets)[number], bytes(`r${round}c${i}`)),
          ),
        );
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: exactly one winner (${won})`);
        expected = `r${round}c${won.indexOf(true)}`;
        assert.equal(text(await a.get('cas')), expected, 'the winner wrote');
      }
    });

    test('compare-and-swap on an absent key loses to a concurrent create, and after a delete', async () => {
      const app = `app${++apps}`;
      const [a, b] = await Promise.all([main.open(app, 'default'), other.open(app, 'default')]);
      const ticket = await a.current('fresh');
      assert.equal(ticket.value, undefined);
      await b.set('fresh', bytes('created by b'));
      assert.equal(await a.swap('fresh', ticket, bytes('from a')), false);
      assert.equal(text(await a.get('fresh')), 'created by b');

      // Two callers both saw it absent: one creates, the other loses.
      const [t1, t2] = await Promise.all([a.current('race'), b.current('race')]);
      const won = await Promise.all([a.swap('race', t1, bytes('1')), b.swap('race', t2, bytes('2'))]);
      assert.equal(won.filter(Boolean).length, 1);

      // Deleted after the read: the swap does not resurrect the key.
      await a.set('gone', bytes('v'));
      const stale = await a.current('gone');
      await b.delete('gone');
      assert.equal(await a.swap('gone', stale, bytes('again')), false);
      assert.equal(await a.exists('gone'), false);

      // A ticket of another key is refused, not applied.
      await rejectsWithKeyValueError(a.swap('fresh', stale, bytes('x')));
    });

    test('batch: get-many, set-many, delete-many, with absent keys and empty lists', async () => {
      const store = await fresh();
      await store.setMany([
        ['a', bytes('1')],
        ['b', bytes('2')],
        ['c', new Uint8Array(0)],
      ]);
      const got = await store.getMany(['a', 'missing', 'b', 'c', 'a']);
      assert.deepEqual(got.map(text), ['1', undefined, '2', '', '1']);
      await store.deleteMany(['a', 'missing']);
      assert.deepEqual((await store.getMany(['a', 'b'])).map(text), [undefined, '2']);
      assert.deepEqual(await store.getMany([]), []);
      await store.setMany([]);
      await store.deleteMany([]);
      assert.deepEqual((await allPages(store)).flat().sort(), ['b', 'c']);
    });

    test(`a value of MAX_VALUE_BYTES (${MAX_VALUE_BYTES}) is stored; one byte more is refused`, async () => {
      const store = await fresh();
      const largest = new Uint8Array(MAX_VALUE_BYTES);
      for (let i = 0; i < largest.length; i += 4099) largest[i] = i % 251;
      await store.set('large', largest);
      sameBytes(await store.get('large'), largest);
      const tooLarge = new Uint8Array(MAX_VALUE_BYTES + 1);
      await rejectsWithKeyValueError(store.set('large2', tooLarge), /larger than/);
      await rejectsWithKeyValueError(store.setMany([['large2', tooLarge]]));
      const ticket = await store.current('large');
      await rejectsWithKeyValueError(store.swap('large', ticket, tooLarge));
      assert.equal(await store.exists('large2'), false);
      sameBytes(await store.get('large'), largest);
      // A swap carries the revision it expects in a header, which a NATS server counts against its
      // max_payload (1 MiB by default): there the largest value fails, and says why.
      const swapped = store.swap('large', ticket, largest.slice().fill(7));
      if (target.type === 'nats') await rejectsWithKeyValueError(swapped, /max_payload/);
      else assert.equal(await swapped, true);
    });

    test(`a key of MAX_KEY_BYTES (${MAX_KEY_BYTES}) bytes works; longer and empty keys are refused`, async () => {
      const store = await fresh();
      const ascii = 'k'.repeat(MAX_KEY_BYTES);
      const twoByte = 'é'.repeat(MAX_KEY_BYTES / 2); // UTF-8: 2 bytes each
      for (const key of [ascii, twoByte]) {
        await store.set(key, bytes('v'));
        assert.equal(text(await store.get(key)), 'v');
        assert.equal(await store.increment(`${key.slice(0, -1)}`, 1n), 1n);
      }
      assert.deepEqual(
        (await allPages(store)).flat().sort(),
        [ascii, ascii.slice(0, -1), twoByte, twoByte.slice(0, -1)].sort(),
      );
      const long = `${'k'.repeat(MAX_KEY_BYTES - 1)}é`; // 1025 bytes in 1024 characters
      for (const call of [
        () => store.get(long),
        () => store.set(long, bytes('v')),
        () => store.exists(long),
        () => store.delete(long),
        () => store.increment(long, 1n),
        () => store.current(long),
        () => store.getMany(['ok', long]),
        () => store.setMany([[long, bytes('v')]]),
        () => store.deleteMany([long]),
        () => store.get(''),
        () => store.set('', bytes('v')),
      ])
        await rejectsWithKeyValueError(call(), /key/);
    });

    test('two apps and two labels are four separate stores', async () => {
      const n = ++apps;
      const pairs = [
        [`app${n}-one`, 'default'],
        [`app${n}-one`, 'cache'],
        [`app${n}-two`, 'default'],
        [`app${n}-two`, 'cache'],
        // Names that would meet if app and label were just joined with ':' or '-'.
        [`app${n}:x`, 'y'],
        [`app${n}`, 'x:y'],
        [`app${n}-x`, 'y'],
        [`app${n}`, 'x-y'],
      ] as const;
      const stores = await Promise.all(pairs.map(([app, label]) => main.open(app, label)));
      await Promise.all(stores.map((s, i) => s.set('shared-key', bytes(`store ${i}`))));
      for (const [i, s] of stores.entries()) {
        assert.equal(text(await s.get('shared-key')), `store ${i}`, `${pairs[i]}`);
        assert.deepEqual((await allPages(s)).flat(), ['shared-key']);
      }
      await stores[0]?.delete('shared-key');
      await stores[1]?.increment('counter', 3n);
      assert.equal(await stores[2]?.exists('shared-key'), true);
      assert.equal(await stores[0]?.exists('counter'), false);
      assert.equal(text(await stores[1]?.get('shared-key')), 'store 1');
    });

    test('a closed backend refuses calls with a KeyValueError', async () => {
      const backend = newBackend();
      const store = await backend.open(`app${++apps}`, 'default');
      await store.set('k', bytes('v'));
      await backend.close();
      await rejectsWithKeyValueError(store.get('k'), /closed/);
      await rejectsWithKeyValueError(backend.open('another', 'default'), /closed/);
    });

    if (target.type === 'sqlite')
      test('a second backend on the same file sees the writes; a second process increments with this one', async () => {
        const path = started.config.path as string;
        const app = `app${++apps}`;
        const store = await main.open(app, 'default');
        assert.ok(existsSync(path), 'the file and its folder were created');
        await store.set('shared', bytes('written by the first'));
        const second = await other.open(app, 'default');
        assert.equal(text(await second.get('shared')), 'written by the first');
        await second.set('shared', bytes('written by the second'));
        assert.equal(text(await store.get('shared')), 'written by the second');

        // Two processes (as node cluster workers are) incrementing one key: busy_timeout makes the
        // writers wait for each other's lock instead of failing.
        const child = `
          import { sqlite } from ${JSON.stringify(join(REPO, 'src/capabilities/key-value/backends/sqlite.ts'))};
          const backend = sqlite.create({ path: ${JSON.stringify(path)} }, { baseDir: '/', where: 'child' });
          const store = await backend.open(${JSON.stringify(app)}, 'default');
          for (let i = 0; i < 300; i++) await store.increment('across-processes', 1n);
          await backend.close();`;
        const run = promisify(execFile);
        const mine = (async () => {
          for (let i = 0; i < 300; i++) {
            await store.increment('across-processes', 1n);
            if (i % 10 === 0) await new Promise((r) => setImmediate(r));
          }
        })();
        await Promise.all([
          run(process.execPath, ['--input-type=module', '-e', child]),
          run(process.execPath, ['--input-type=module', '-e', child]),
          mine,
        ]);
        assert.equal(text(await second.get('across-processes')), '900');
      });

    if (target.type !== 'sqlite')
      test('server down: calls fail fast with a KeyValueError naming the store and server; back up: the same store works', async () => {
        const server = started.server as TestServer;
        const store = await main.open(`app${++apps}`, 'downtime');
        await store.set('before', bytes('1'));
        await server.stop();
        try {
          const began = performance.now();
          const error = await rejectsWithKeyValueError(store.get('before'));
          const elapsed = performance.now() - began;
          assert.ok(elapsed < 4000, `failed after ${Math.round(elapsed)} ms, not fast`);
          assert.match(error.message, /store "downtime"/);
          assert.ok(error.message.includes(server.url), `names the server: ${error.message}`);
          // Every operation fails the same way while it is down, none hangs.
          const began2 = performance.now();
          await rejectsWithKeyValueError(store.set('during', bytes('x')), /downtime/);
          await rejectsWithKeyValueError(store.increment('n', 1n), /downtime/);
          await rejectsWithKeyValueError(store.listKeys(undefined), /downtime/);
          assert.ok(performance.now() - began2 < 4000, 'later calls fail fast too');
          // A backend that has never connected fails its open the same way.
          const cold = newBackend();
          const began3 = performance.now();
          await rejectsWithKeyValueError(cold.open('cold', 'default'), /store "default".*unreachable/);
          assert.ok(performance.now() - began3 < 6000, 'open does not hang either');
        } finally {
          await server.restart();
        }
        await eventually(() => store.set('after', bytes('2')), 15_000);
        assert.equal(text(await store.get('after')), '2');
        assert.equal(await store.increment('n', 1n), 1n);
        assert.ok((await allPages(store)).flat().includes('after'));
        const reopened = await main.open(`app${apps}`, 'downtime');
        assert.equal(text(await reopened.get('after')), '2');
      });
  });
}

describe('key-value backend registry', () => {
  const context = { baseDir: REPO, where: 'runtime-config.toml:3' };
  const refuses = (type: string, config: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => createKeyValueBackend(type, config, context),
      (e: Error) =>
        e.name === 'CapabilityConfigError' &&
        /^runtime-config\.toml:3: /.test(e.message) &&
        pattern.test(e.message),
    );

  test('an unknown type is refused with a did-you-mean', () => {
    refuses('redsi', {}, /unknown key-value store type "redsi"; did you mean "redis"\?/);
    refuses('postgres', {}, /unknown key-value store type "postgres" \(types: "sqlite", "redis", "nats"\)/);
    refuses('toString', {}, /unknown key-value store type "toString"/);
  });

  test('unknown keys and bad values are refused, naming the key', () => {
    refuses(
      'redis',
      { uri: 'redis://x' },
      /unknown key "uri" for a redis key-value store; did you mean "url"\?/,
    );
    refuses('sqlite', { path: 'x', url: 'y' }, /unknown key "url"/);
    refuses('redis', {}, /needs url = "redis:\/\/127\.0\.0\.1:6379"/);
    refuses('nats', { url: 'redis://127.0.0.1:4222' }, /must start with nats:\/\/ or tls:\/\//);
    refuses('redis', { url: 'not a url' }, /not a URL/);
    refuses('sqlite', { path: 42 }, /path must be a file path/);
  });

  test('an error never shows the password of a server URL', async () => {
    const backend = createKeyValueBackend('redis', { url: 'redis://user:s3cret@127.0.0.1:1' }, context);
    const error = await rejectsWithKeyValueError(backend.open('app', 'default'));
    assert.doesNotMatch(error.message, /s3cret/);
    await backend.close();
  });

  test('a relative sqlite path resolves against the manifest folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-kv-relative-'));
    try {
      const backend = createKeyValueBackend(
        'sqlite',
        { path: 'data/kv.sqlite' },
        { ...context, baseDir: dir },
      );
      await (await backend.open('app', 'default')).set('k', bytes('v'));
      await backend.close();
      assert.ok(existsSync(join(dir, 'data', 'kv.sqlite')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
