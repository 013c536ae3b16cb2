/**
 * The embedding API's plugin side: `loadComponent(file, options)` and typed calls into the
 * `skiff:plugin/plugin` fixtures (fixtures/wit/plugin), built from Rust and from JavaScript, through
 * Skiff's binder: every kind of WIT value with asserted values, a resource's whole life, limits
 * (a spinning call stopped at its timeout while a node:http server in this process keeps answering),
 * traps with the guest's backtrace, and grants denied unless given.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Counter, Exports } from '../../examples/embed/plugin.d.ts';
import { UnprovidedImportError } from '../../src/capabilities/provided.ts';
import { ComponentCallError } from '../../src/embed/call-errors.ts';
import { type ComponentOptions, loadComponent, type SkiffComponent } from '../../src/embed/load-component.ts';
import { ComponentError } from '../../src/engine/binding/canonical-abi/trap.ts';
import { ComponentLoadError } from '../../src/engine/errors.ts';
import { memoryLog } from '../support/memory-log.ts';
import { TEST_CACHE_DIR } from '../support/skiff-process.ts';

const PLUGINS = [
  { language: 'rust', file: 'fixtures/rust/plugin/plugin.wasm', version: 'rust plugin 1.0' },
  { language: 'js', file: 'fixtures/js/plugin/plugin.wasm', version: 'js plugin 1.0' },
] as const;

const load = (file: string, options: ComponentOptions = {}) =>
  loadComponent<Exports>(file, { cacheDir: TEST_CACHE_DIR, log: memoryLog(), ...options });

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to reject');
};

for (const { language, file, version } of PLUGINS) {
  describe(`${language} plugin`, () => {
    let plugin: SkiffComponent<Exports>;
    before(async () => {
      plugin = await load(file, { timeout: '5s', env: { PLUGIN_GREETING: 'hi there' } });
    });
    after(() => plugin.close());

    test('every kind of WIT value goes in and comes back as jco maps it', async () => {
      const { api } = plugin.exports;
      assert.equal(plugin.exports['skiff:plugin/api'], api, 'the full name and the short one');
      assert.equal(await plugin.exports.version(), version);
      assert.equal(await api.greet('wörld 😀'), 'hello, wörld 😀!');
      assert.deepEqual(await api.reverseBytes(new Uint8Array([1, 2, 255])), new Uint8Array([255, 2, 1]));
      assert.deepEqual(await api.reverseBytes(new Uint8Array(0)), new Uint8Array(0));
      assert.deepEqual(await api.sortWords(['pear', 'Apple', 'apple', 'é', '']), [
        '',
        'Apple',
        'apple',
        'pear',
        'é',
      ]);
      assert.deepEqual(await api.stats(new BigInt64Array([5n, -7n, 2n ** 62n])), [3, 2n ** 62n - 2n]);
      assert.deepEqual(await api.stats(new BigInt64Array([2n ** 63n - 1n, 1n])), [2, -(2n ** 63n)]);
      assert.deepEqual(await api.birthday({ name: 'Ada', age: 36, emailAddress: 'ada@example.com' }), {
        name: 'Ada',
        age: 37,
        emailAddress: 'ada@example.com',
      });
      assert.deepEqual(await api.birthday({ name: 'Old', age: 255 }), {
        name: 'Old',
        age: 255,
        emailAddress: undefined,
      });
      assert.equal(await api.area({ tag: 'circle', val: 2 }), Math.PI * 4);
      assert.equal(await api.area({ tag: 'rectangle', val: { width: 3, height: 2.5 } }), 7.5);
      assert.equal(await api.area({ tag: 'dot' }), 0);
      assert.deepEqual(await api.scale({ tag: 'rectangle', val: { width: 1, height: 2 } }, 1.5), {
        tag: 'rectangle',
        val: { width: 1.5, height: 3 },
      });
      assert.deepEqual(await api.scale({ tag: 'circle', val: 1 }, -2), { tag: 'circle', val: -2 });
      assert.deepEqual(await api.scale({ tag: 'dot' }, 9), { tag: 'dot' });
      assert.deepEqual(
        await Promise.all((['red', 'green', 'blue', 'hot-pink'] as const).map((c) => api.nextColor(c))),
        ['green', 'blue', 'hot-pink', 'red'],
      );
      assert.deepEqual(await api.invert({ read: true, write: false, executeAll: true }), {
        read: false,
        write: true,
        executeAll: false,
      });
      assert.deepEqual(await api.invert({}), { read: true, write: true, executeAll: true });
      assert.equal(await api.findWord(['alpha', 'beta', 'bravo'], 'br'), 'bravo');
      assert.equal(await api.findWord(['alpha'], 'z'), undefined);
      assert.equal(await api.validate('fine'), undefined);
    });

    test('an err result rejects with a ComponentError carrying the payload; the instance serves on', async () => {
      const { api } = plugin.exports;
      const empty = await rejection(api.validate(''));
      assert.ok(empty instanceof ComponentError);
      assert.equal(empty.payload, 'empty input');
      const long = await rejection(api.validate('x'.repeat(20)));
      assert.ok(long instanceof ComponentError);
      assert.equal(long.payload, 'too long: 20 bytes');
      assert.equal(await api.greet('still here'), 'hello, still here!');
    });

    test('a wrong argument is a TypeError and leaves the instance as it was', async () => {
      const { api } = plugin.exports;
      const counter = await api.Counter.create(4);
      await assert.rejects(api.nextColor('purple' as 'red'), TypeError);
      await assert.rejects(api.peek({} as Counter), /expected a Counter this component made/);
      assert.equal(await counter.value(), 4, 'the resource survived the refused calls');
      await counter[Symbol.asyncDispose]();
    });

    test('a resource: made, its methods called, lent, merged by a static function, dropped', async () => {
      const { api } = plugin.exports;
      const before = await api.liveCounters();
      const a = await api.Counter.create(5);
      assert.ok(a instanceof api.Counter);
      assert.throws(() => new (api.Counter as unknown as new () => object)(), /use await Counter\.create/);
      assert.equal(await a.increment(3), 8);
      assert.equal(await a.increment(2), 10);
      assert.equal(await a.value(), 10);
      assert.equal(await api.peek(a), 10, 'lent as a borrow, still the app’s');
      const b = await api.Counter.create(1);
      const sum = await api.Counter.merge(a, b);
      assert.ok(sum instanceof api.Counter);
      assert.equal(await sum.value(), 11);
      assert.equal(await api.liveCounters(), before + 3);
      // Dropping runs the guest's destructor (Rust's Drop, JS's Symbol.dispose).
      await sum[Symbol.asyncDispose]();
      assert.equal(await api.liveCounters(), before + 2);
      await sum[Symbol.asyncDispose]();
      assert.equal(await api.liveCounters(), before + 2, 'dropping twice drops once');
      await assert.rejects(sum.value(), /this Counter was already dropped/);
      {
        await using scoped = await api.Counter.create(7);
        assert.equal(await scoped.increment(1), 8);
        assert.equal(await api.liveCounters(), before + 3);
      }
      assert.equal(await api.liveCounters(), before + 2, '`await using` dropped it');
      await a[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
      assert.equal(await api.liveCounters(), before);
    });

    test('calls made at once take turns in the one instance, each with its own answer', async () => {
      const { api } = plugin.exports;
      const counter = await api.Counter.create(0);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => counter.increment(i + 1)));
      // Each increment ran after the one before it: running sums of 1..20, in call order.
      assert.deepEqual(
        results,
        Array.from({ length: 20 }, (_, i) => ((i + 1) * (i + 2)) / 2),
      );
      await counter[Symbol.asyncDispose]();
    });

    test('the guest sees exactly the environment variables granted, and none of the host’s', async () => {
      assert.ok(process.env.PATH, 'the host has a PATH');
      const { api } = plugin.exports;
      assert.equal(await api.getEnv('PLUGIN_GREETING'), 'hi there');
      assert.equal(await api.getEnv('PATH'), undefined);
      assert.equal(await api.getEnv('HOME'), undefined);
      const bare = await load(file);
      try {
        assert.equal(await bare.exports.api.getEnv('PLUGIN_GREETING'), undefined);
      } finally {
        await bare.close();
      }
    });

    test('a trap rejects with the guest backtrace; its resources go with the instance; the next call works', async () => {
      const log = memoryLog();
      const crashing = await load(file, { log });
      try {
        const { api } = crashing.exports;
        const counter = await api.Counter.create(3);
        const e = await rejection(api.crash('the plugin gave up'));
        assert.ok(e instanceof ComponentCallError, String(e));
        assert.equal(e.kind, 'trap');
        assert.equal(e.file, file);
        assert.equal(e.export, 'skiff:plugin/api#crash');
        assert.match(e.message, /^fixtures\/\w+\/plugin\/plugin\.wasm: skiff:plugin\/api#crash trapped/);
        assert.match(e.guestBacktrace, /^guest backtrace:\n {2}at .*wasm-function/);
        // Rust's frames are its panic machinery (V8 keeps the innermost 10); JS's reach the export.
        assert.match(e.guestBacktrace, language === 'rust' ? /rust_panic/ : /skiff:plugin\/api#crash/);
        assert.ok(e.cause instanceof WebAssembly.RuntimeError);
        assert.ok(
          log.lines.some((l) => l.includes('the plugin gave up')),
          'the guest’s own words went to the log',
        );
        const stale = await rejection(counter.value());
        assert.ok(stale instanceof ComponentCallError);
        assert.equal(stale.kind, 'stale-resource');
        assert.match(
          stale.message,
          /made by an instance that was discarded \(skiff:plugin\/api#crash trapped\)/,
        );
        assert.equal(await api.greet('again'), 'hello, again!');
        assert.equal(await api.liveCounters(), 0, 'a new instance');
      } finally {
        await crashing.close();
      }
    });

    test('a call that never returns is stopped at its 50 ms timeout; the next call gets a new instance', async () => {
      const spinning = await load(file, { timeout: '50ms' });
      try {
        const { api } = spinning.exports;
        const counter = await api.Counter.create(1);
        const started = performance.now();
        const e = await rejection(api.spin());
        const elapsed = performance.now() - started;
        assert.ok(e instanceof ComponentCallError, String(e));
        assert.equal(e.kind, 'timeout');
        assert.equal(e.limitMs, 50);
        assert.equal(e.export, 'skiff:plugin/api#spin');
        assert.match(
          e.message,
          /plugin\.wasm: skiff:plugin\/api#spin did not finish within its timeout of 50ms: it was stopped and its instance was discarded/,
        );
        assert.match(e.guestBacktrace, /spin/);
        // The watchdog ticks every 10 ms; the rest is the machine being busy.
        assert.ok(elapsed >= 50 && elapsed < 1000, `stopped after ${elapsed.toFixed(0)} ms`);
        await assert.rejects(counter.value(), /discarded \(skiff:plugin\/api#spin timed out\)/);
        assert.equal(await api.greet('after the loop'), 'hello, after the loop!');
      } finally {
        await spinning.close();
      }
    });

    test('while a call spins, a node:http server in the same process goes on answering', async () => {
      const server = createServer((_req, res) => res.end('pong'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const spinning = await load(file, { timeout: '1500ms' });
      try {
        let spinEnded = Number.POSITIVE_INFINITY;
        const spin = spinning.exports.api.spin().catch((e: unknown) => {
          spinEnded = performance.now();
          return e;
        });
        // The guest is in its loop once the first yield let this turn come back.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const answered: number[] = [];
        for (let i = 0; i < 5; i++) {
          const sent = performance.now();
          const response = await fetch(url);
          assert.equal(await response.text(), 'pong');
          answered.push(performance.now() - sent);
          assert.ok(performance.now() < spinEnded, 'answered while the guest was still spinning');
        }
        const e = await spin;
        assert.ok(e instanceof ComponentCallError && e.kind === 'timeout', String(e));
        assert.ok(
          answered.every((ms) => ms < 500),
          `each request answered in ${answered.map((ms) => ms.toFixed(0)).join(', ')} ms`,
        );
        assert.equal(await spinning.exports.api.greet('served'), 'hello, served!');
      } finally {
        await spinning.close();
        server.close();
      }
    });
  });
}

test('maxMemory caps each linear memory: a call that needs more traps, and the next call works', async () => {
  const small = await load('fixtures/rust/plugin/plugin.wasm', { maxMemory: '2MiB' });
  try {
    const { api } = small.exports;
    assert.equal((await api.reverseBytes(new Uint8Array(64 * 1024))).length, 64 * 1024);
    const e = await rejection(api.reverseBytes(new Uint8Array(4 * 1024 * 1024)));
    assert.ok(e instanceof ComponentCallError && e.kind === 'trap', String(e));
    assert.equal(await api.greet('small'), 'hello, small!');
  } finally {
    await small.close();
  }
  await assert.rejects(load('fixtures/rust/plugin/plugin.wasm', { maxMemory: '64KiB' }), ComponentLoadError);
});

test('maxCpu stops a call past its CPU budget', async () => {
  const limited = await load('fixtures/rust/plugin/plugin.wasm', { maxCpu: '30ms', timeout: '10s' });
  try {
    const e = await rejection(limited.exports.api.spin());
    assert.ok(e instanceof ComponentCallError, String(e));
    assert.equal(e.kind, 'cpu-limit');
    assert.match(e.message, /past its limit of 30ms: it was stopped/);
    assert.equal(await limited.exports.api.greet('x'), 'hello, x!');
  } finally {
    await limited.close();
  }
});

test('lifecycle fresh: each call a just-instantiated guest; resources are refused by name', async () => {
  const fresh = await load('fixtures/rust/plugin/plugin.wasm', { lifecycle: 'fresh' });
  try {
    const { api } = fresh.exports;
    const answers = await Promise.all(['a', 'b', 'c'].map((n) => api.greet(n)));
    assert.deepEqual(answers, ['hello, a!', 'hello, b!', 'hello, c!']);
    await assert.rejects(
      api.Counter.create(1),
      /skiff:plugin\/api#\[constructor\]counter takes or returns a resource, which cannot outlive its call with lifecycle 'fresh'/,
    );
    assert.equal(await api.liveCounters(), 0);
  } finally {
    await fresh.close();
  }
  await assert.rejects(fresh.exports.api.greet('closed'), /was closed; load it again/);
});

test('binder jco (the reference) gives the same values, resources included', async () => {
  const jco = await load('fixtures/rust/plugin/plugin.wasm', { binder: 'jco' });
  try {
    const { api } = jco.exports;
    assert.deepEqual(await api.birthday({ name: 'Ada', age: 36 }), {
      name: 'Ada',
      age: 37,
      emailAddress: undefined,
    });
    assert.deepEqual(await api.stats(new BigInt64Array([1n, 2n])), [2, 3n]);
    assert.deepEqual(await api.invert({ write: true }), { read: true, write: false, executeAll: true });
    const e = await rejection(api.validate(''));
    assert.ok(e instanceof ComponentError && e.payload === 'empty input', String(e));
    const counter = await api.Counter.create(2);
    assert.equal(await counter.increment(5), 7);
    assert.equal(await api.liveCounters(), 1);
    await counter[Symbol.asyncDispose]();
    assert.equal(await api.liveCounters(), 0);
  } finally {
    await jco.close();
  }
});

test('what cannot be loaded is refused at load, saying why', async () => {
  await assert.rejects(load('fixtures/nope.wasm'), (e: unknown) => {
    assert.ok(e instanceof ComponentLoadError, String(e));
    assert.equal(e.message, 'fixtures/nope.wasm: cannot read the file (ENOENT)\n  hint: check the path');
    return true;
  });
  await assert.rejects(
    load('fixtures/rust/plugin/plugin.wasm', { timeout: 'soon' }),
    /timeout: "soon" is not a duration/,
  );
  await assert.rejects(
    load('fixtures/rust/plugin/plugin.wasm', { lifecycle: 'sometimes' as 'fresh' }),
    /lifecycle: "sometimes" is neither 'reuse' nor 'fresh'/,
  );
  await assert.rejects(load('fixtures/c/cli/cli.core.wasm'), /a core WebAssembly module, not a component/);
  // A plugin that imports an interface no capability provides: refused by name before any call.
  const { componentEmbed, componentNew, parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const embedded = await componentEmbed({
    binary: await parse(
      '(module (import "acme:billing/api@1.0.0" "charge" (func)) (func (export "run")) (memory (export "memory") 1))',
    ),
    witSource:
      'package acme:billing@1.0.0;\ninterface api { charge: func(); }\nworld w { import api; export run: func(); }\n',
    world: 'w',
  });
  const dir = await mkdtemp(join(tmpdir(), 'skiff-plugin-'));
  const billing = join(dir, 'billing.wasm');
  await writeFile(billing, await componentNew(embedded, undefined));
  try {
    await assert.rejects(load(billing), (e: unknown) => {
      assert.ok(e instanceof UnprovidedImportError, String(e));
      assert.match(e.message, /acme:billing\/api@1\.0\.0: no Skiff capability provides it/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
