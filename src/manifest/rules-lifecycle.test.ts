/** Rule table for a component's `lifecycle`: the string shorthand and the [component.X.lifecycle] table. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_FRESH, DEFAULT_REUSE, type LifecycleSpec } from './app.ts';
import { loadApp } from './load.ts';
import { itReportsEach, problemsOf, useAppDir, withExtra } from './testing.ts';
import { idleTimeoutProblem } from './validate-lifecycle.ts';

const app = useAppDir();

/** The valid manifest plus a [component.api.lifecycle] table: the header is line 9, its keys start on line 10. */
const lifecycleTable = (...lines: string[]) => withExtra('[component.api.lifecycle]', ...lines);

let fileCounter = 0;
async function componentOf(text: string) {
  const file = path.join(app.dir, `lifecycle-${++fileCounter}.toml`);
  fs.writeFileSync(file, text);
  const component = (await loadApp(file)).components.get('api');
  assert.ok(component);
  return component;
}

describe('lifecycle: valid', () => {
  it('absent: left out of the App, so the runtime applies its default', async () => {
    const component = await componentOf(withExtra());
    assert.equal(component.lifecycle, undefined);
    assert.ok(!('lifecycle' in component));
  });

  const cases: [string, string, LifecycleSpec][] = [
    ['shorthand "fresh": the fresh defaults', withExtra('lifecycle = "fresh"'), DEFAULT_FRESH],
    ['shorthand "reuse": the reuse defaults', withExtra('lifecycle = "reuse"'), DEFAULT_REUSE],
    ['table, fresh, mode only', lifecycleTable('mode = "fresh"'), DEFAULT_FRESH],
    ['table, fresh, prewarm', lifecycleTable('mode = "fresh"', 'prewarm = 0'), { mode: 'fresh', prewarm: 0 }],
    [
      'table, fresh, prewarm at its maximum',
      lifecycleTable('mode = "fresh"', 'prewarm = 64'),
      { mode: 'fresh', prewarm: 64 },
    ],
    ['table, reuse, mode only', lifecycleTable('mode = "reuse"'), DEFAULT_REUSE],
    [
      'table, reuse, every key',
      lifecycleTable('mode = "reuse"', 'max_requests = 10', 'idle_timeout = "250ms"'),
      { mode: 'reuse', maxRequests: 10, idleTimeoutMs: 250 },
    ],
    [
      'table, reuse, idle_timeout only: max_requests defaults',
      lifecycleTable('mode = "reuse"', 'idle_timeout = "2m"'),
      { mode: 'reuse', maxRequests: DEFAULT_REUSE.maxRequests, idleTimeoutMs: 120_000 },
    ],
    [
      'table, reuse, max_requests only: idle_timeout defaults',
      lifecycleTable('mode = "reuse"', 'max_requests = 1'),
      { mode: 'reuse', maxRequests: 1, idleTimeoutMs: DEFAULT_REUSE.idleTimeoutMs },
    ],
    [
      'table, reuse, the bounds',
      lifecycleTable('max_requests = 1_000_000', 'idle_timeout = "60m"', 'mode = "reuse"'),
      { mode: 'reuse', maxRequests: 1_000_000, idleTimeoutMs: 3_600_000 },
    ],
    [
      'table, reuse, instance_concurrency (WASI 0.3 requests per instance at once)',
      lifecycleTable('mode = "reuse"', 'instance_concurrency = 4'),
      { ...DEFAULT_REUSE, concurrency: 4 },
    ],
    [
      'inline table',
      withExtra('lifecycle = { mode = "reuse", idle_timeout = "10ms" }'),
      { mode: 'reuse', maxRequests: DEFAULT_REUSE.maxRequests, idleTimeoutMs: 10 },
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(name, async () => assert.deepEqual((await componentOf(text)).lifecycle, expected));
  }

  it('the defaults are copies, not the shared constants', async () => {
    const component = await componentOf(withExtra('lifecycle = "reuse"'));
    assert.notEqual(component.lifecycle, DEFAULT_REUSE);
  });
});

describe('lifecycle: shorthand errors', () => {
  itReportsEach(app, [
    {
      name: 'a typo',
      toml: withExtra('lifecycle = "resue"'),
      line: 9,
      message:
        '"lifecycle" in [component.api] must be "fresh" or "reuse", got "resue" — did you mean lifecycle = "reuse"?',
    },
    {
      name: 'another mode',
      toml: withExtra('lifecycle = "pooled"'),
      line: 9,
      message: 'write lifecycle = "fresh" (a new instance per request) or lifecycle = "reuse"',
    },
    {
      name: 'not a string or table',
      toml: withExtra('lifecycle = true'),
      line: 9,
      message: '"lifecycle" in [component.api] must be "fresh", "reuse" or a table, got a boolean (true)',
    },
    {
      name: 'misspelt key',
      toml: withExtra('lifecyle = "reuse"'),
      line: 9,
      message: 'unknown key "lifecyle" in [component.api] — did you mean "lifecycle"?',
    },
  ]);
});

describe('lifecycle: table errors', () => {
  itReportsEach(app, [
    {
      name: 'missing mode, implied by the keys',
      toml: lifecycleTable('max_requests = 5', 'idle_timeout = "1s"'),
      line: 9,
      message:
        'missing "mode" in [component.api.lifecycle] — add mode = "reuse" ("max_requests" and "idle_timeout" belong to it)',
    },
    {
      name: 'missing mode, nothing implied',
      toml: lifecycleTable(),
      line: 9,
      message: 'add mode = "fresh" (a new instance per request) or mode = "reuse"',
    },
    {
      name: 'instance_concurrency with mode = "fresh"',
      toml: lifecycleTable('mode = "fresh"', 'instance_concurrency = 4'),
      line: 11,
      message: 'applies only to mode = "reuse"',
    },
    {
      name: 'instance_concurrency out of range',
      toml: lifecycleTable('mode = "reuse"', 'instance_concurrency = 0'),
      line: 11,
      message: 'instance_concurrency',
    },
    {
      name: 'mode not a string',
      toml: lifecycleTable('mode = 1'),
      line: 10,
      message: '"mode" in [component.api.lifecycle] must be a string, got an integer (1)',
    },
    {
      name: 'mode typo',
      toml: lifecycleTable('mode = "Fresh"'),
      line: 10,
      message: 'did you mean mode = "fresh"?',
    },
    {
      name: 'unknown key, close to one',
      toml: lifecycleTable('mode = "reuse"', 'max_request = 5'),
      line: 11,
      message: 'unknown key "max_request" in [component.api.lifecycle] — did you mean "max_requests"?',
    },
    {
      name: 'unknown key, a prefix',
      toml: lifecycleTable('mode = "reuse"', 'idle = "1s"'),
      line: 11,
      message: 'did you mean "idle_timeout"?',
    },
    {
      name: 'unknown key, far from all',
      toml: lifecycleTable('mode = "reuse"', 'concurrency = 4'),
      line: 11,
      message: 'valid keys here: mode, max_requests, idle_timeout, prewarm',
    },
    {
      name: 'max_requests with mode fresh',
      toml: lifecycleTable('mode = "fresh"', 'max_requests = 5'),
      line: 11,
      message:
        '"max_requests" in [component.api.lifecycle] applies only to mode = "reuse", but mode is "fresh" — remove it, or set mode = "reuse"',
    },
    {
      name: 'idle_timeout with mode fresh',
      toml: lifecycleTable('mode = "fresh"', 'prewarm = 2', 'idle_timeout = "1s"'),
      line: 12,
      message: '"idle_timeout" in [component.api.lifecycle] applies only to mode = "reuse"',
    },
    {
      name: 'prewarm with mode reuse',
      toml: lifecycleTable('mode = "reuse"', 'prewarm = 2'),
      line: 11,
      message: 'applies only to mode = "fresh", but mode is "reuse" — remove it, or set mode = "fresh"',
    },
    {
      name: 'a mode mismatch in a one-line inline table',
      toml: withExtra('lifecycle = { mode = "reuse", prewarm = 2 }'),
      line: 9,
      message: '"prewarm" in [component.api.lifecycle] applies only to mode = "fresh"',
    },
    {
      name: 'max_requests 0',
      toml: lifecycleTable('mode = "reuse"', 'max_requests = 0'),
      line: 11,
      message:
        '"max_requests" in [component.api.lifecycle] must be from 1 to 1000000, got 0 — the smallest allowed is max_requests = 1',
    },
    {
      name: 'max_requests too large',
      toml: lifecycleTable('mode = "reuse"', 'max_requests = 1_000_001'),
      line: 11,
      message: 'the largest allowed is max_requests = 1000000',
    },
    {
      name: 'max_requests quoted',
      toml: lifecycleTable('mode = "reuse"', 'max_requests = "128"'),
      line: 11,
      message: 'must be an integer, got a string ("128") — remove the quotes: max_requests = 128',
    },
    {
      name: 'max_requests a float',
      toml: lifecycleTable('mode = "reuse"', 'max_requests = 1.5'),
      line: 11,
      message: 'must be an integer, got a float (1.5) — write max_requests = 128',
    },
    {
      name: 'prewarm too large',
      toml: lifecycleTable('mode = "fresh"', 'prewarm = 65'),
      line: 11,
      message: '"prewarm" in [component.api.lifecycle] must be from 0 to 64, got 65',
    },
    {
      name: 'prewarm negative',
      toml: lifecycleTable('mode = "fresh"', 'prewarm = -1'),
      line: 11,
      message: 'the smallest allowed is prewarm = 0',
    },
    {
      name: 'prewarm not a number',
      toml: lifecycleTable('mode = "fresh"', 'prewarm = true'),
      line: 11,
      message: 'must be an integer, got a boolean (true) — write prewarm = 4',
    },
    {
      name: 'idle_timeout a number',
      toml: lifecycleTable('mode = "reuse"', 'idle_timeout = 1000'),
      line: 11,
      message:
        '"idle_timeout" in [component.api.lifecycle] must be a duration string, got an integer (1000) — write a whole number and a unit (ms, s or m), e.g. "250ms", "1s" or "2m", in quotes: idle_timeout = "1s"',
    },
    {
      name: 'idle_timeout not a duration',
      toml: lifecycleTable('mode = "reuse"', 'idle_timeout = "soon"'),
      line: 11,
      message:
        'invalid idle_timeout in [component.api.lifecycle]: "soon" is not a duration — write a whole number and a unit',
    },
    {
      name: 'idle_timeout with a fraction',
      toml: lifecycleTable('mode = "reuse"', 'idle_timeout = "1.5s"'),
      line: 11,
      message: '"1.5s" is not a duration — write "1500ms"',
    },
    {
      name: 'idle_timeout in hours',
      toml: lifecycleTable('mode = "reuse"', 'idle_timeout = "1h"'),
      line: 11,
      message: '"1h" is not a duration — write "60m"',
    },
    {
      name: 'idle_timeout too short',
      toml: lifecycleTable('mode = "reuse"', 'idle_timeout = "5ms"'),
      line: 11,
      message: '"5ms" is shorter than the minimum of 10ms — write "10ms" or longer',
    },
    {
      name: 'idle_timeout too long',
      toml: lifecycleTable('mode = "reuse"', 'idle_timeout = "61m"'),
      line: 11,
      message: '"61m" is longer than the maximum of 60m (1 hour) — write "60m" or shorter',
    },
    {
      name: 'in a second component, on its own line',
      toml: withExtra('[component.web]', 'source = "app.wasm"', 'lifecycle = "fresh "'),
      line: 11,
      message: '"lifecycle" in [component.web] must be "fresh" or "reuse", got "fresh "',
    },
  ]);

  it('reports every problem of the table at once', async () => {
    const problems = await problemsOf(
      app.dir,
      lifecycleTable('mode = "reuse"', 'prewarm = 2', 'max_requests = 0', 'idle_timeout = "1h"', 'color = 1'),
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [11, 12, 13, 14],
    );
  });
});

describe('idleTimeoutProblem (shared with --idle-timeout)', () => {
  it('accepts 10ms to 60m', () => {
    for (const text of ['10ms', '1s', '60m', '3600000ms'])
      assert.equal(idleTimeoutProblem(text), undefined, text);
  });
  it('names the bound or the form', () => {
    assert.match(idleTimeoutProblem('9ms')?.message ?? '', /shorter than the minimum of 10ms/);
    assert.match(idleTimeoutProblem('3600001ms')?.message ?? '', /longer than the maximum of 60m/);
    assert.equal(idleTimeoutProblem('2 S')?.hint, 'write "2s"');
    assert.equal(idleTimeoutProblem('1.1s')?.hint, 'write "1100ms"');
  });
});
