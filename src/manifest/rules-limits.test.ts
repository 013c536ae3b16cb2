/** Rule table for a component's limits: `timeout`, `max_memory` and `max_concurrent` in [component.X]. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ComponentLimits } from './app.ts';
import { loadApp } from './load.ts';
import { itReportsEach, problemsOf, useAppDir, withExtra } from './testing.ts';
import { maxMemoryProblem, timeoutProblem } from './validate-limits.ts';

const app = useAppDir();

let fileCounter = 0;
async function componentOf(text: string, id = 'api') {
  const file = path.join(app.dir, `limits-${++fileCounter}.toml`);
  fs.writeFileSync(file, text);
  const component = (await loadApp(file)).components.get(id);
  assert.ok(component);
  return component;
}

describe('limits: valid', () => {
  it('absent: left out of the App, so the host applies its values', async () => {
    const component = await componentOf(withExtra());
    assert.equal(component.limits, undefined);
    assert.ok(!('limits' in component));
  });

  const cases: [string, string, ComponentLimits][] = [
    ['timeout only: the other fields stay out', withExtra('timeout = "2s"'), { timeoutMs: 2000 }],
    ['timeout in milliseconds', withExtra('timeout = "250ms"'), { timeoutMs: 250 }],
    ['max_memory only', withExtra('max_memory = "64MiB"'), { maxMemoryBytes: 64 * 2 ** 20 }],
    ['max_memory in bytes', withExtra('max_memory = "1048576B"'), { maxMemoryBytes: 2 ** 20 }],
    ['max_concurrent only', withExtra('max_concurrent = 100'), { maxConcurrent: 100 }],
    [
      'max_concurrent written as a float with no fraction',
      withExtra('max_concurrent = 4.0'),
      { maxConcurrent: 4 },
    ],
    [
      'all three',
      withExtra('timeout = "30s"', 'max_memory = "512KiB"', 'max_concurrent = 8'),
      { timeoutMs: 30_000, maxMemoryBytes: 512 * 2 ** 10, maxConcurrent: 8 },
    ],
    [
      'the lower bounds',
      withExtra('timeout = "1ms"', 'max_memory = "64KiB"', 'max_concurrent = 1'),
      { timeoutMs: 1, maxMemoryBytes: 65_536, maxConcurrent: 1 },
    ],
    [
      'the upper bounds',
      withExtra('timeout = "60m"', 'max_memory = "4GiB"', 'max_concurrent = 1_000_000'),
      { timeoutMs: 3_600_000, maxMemoryBytes: 4 * 2 ** 30, maxConcurrent: 1_000_000 },
    ],
    ['next to a lifecycle', withExtra('lifecycle = "reuse"', 'max_concurrent = 2'), { maxConcurrent: 2 }],
  ];
  for (const [name, text, expected] of cases) {
    it(name, async () => assert.deepEqual((await componentOf(text)).limits, expected));
  }

  it('per component: another component keeps none', async () => {
    const text = withExtra('[component.web]', 'source = "app.wasm"', 'timeout = "5s"');
    assert.deepEqual((await componentOf(text, 'web')).limits, { timeoutMs: 5000 });
    assert.ok(!('limits' in (await componentOf(text, 'api'))));
  });
});

describe('limits: timeout errors', () => {
  itReportsEach(app, [
    {
      name: 'a number',
      toml: withExtra('timeout = 30'),
      line: 9,
      message:
        '"timeout" in [component.api] must be a duration string like "30s", got an integer (30) — write timeout = "30s" if you meant 30 seconds',
    },
    {
      name: 'a float',
      toml: withExtra('timeout = 1.5'),
      line: 9,
      message: 'got a float (1.5) — write timeout = "1500ms" if you meant 1.5 seconds',
    },
    {
      name: 'a number too large to be seconds',
      toml: withExtra('timeout = 5000'),
      line: 9,
      message:
        'got an integer (5000) — write a whole number and a unit (ms, s or m), e.g. "250ms", "1s" or "2m", in quotes: timeout = "30s"',
    },
    {
      name: 'a boolean',
      toml: withExtra('timeout = false'),
      line: 9,
      message: '"timeout" in [component.api] must be a duration string like "30s", got a boolean (false)',
    },
    {
      name: 'a string without a unit',
      toml: withExtra('timeout = "30"'),
      line: 9,
      message: 'invalid timeout in [component.api]: "30" has no unit — write "30s" if you meant 30 seconds',
    },
    {
      name: 'zero',
      toml: withExtra('timeout = "0s"'),
      line: 9,
      message:
        'invalid timeout in [component.api]: "0s" is shorter than the minimum of 1ms — write "1ms" or longer, or leave timeout out for the host\'s default',
    },
    {
      name: 'too long',
      toml: withExtra('timeout = "61m"'),
      line: 9,
      message:
        'invalid timeout in [component.api]: "61m" is longer than the maximum of 60m (1 hour) — write "60m" or shorter',
    },
    {
      name: 'in hours',
      toml: withExtra('timeout = "1h"'),
      line: 9,
      message: 'invalid timeout in [component.api]: "1h" is not a duration — write "60m"',
    },
    {
      name: 'in hours, beyond the maximum',
      toml: withExtra('timeout = "2h"'),
      line: 9,
      message: '"2h" is not a duration — write "60m" (the maximum)',
    },
    {
      name: 'with a fraction',
      toml: withExtra('timeout = "2.5s"'),
      line: 9,
      message: '"2.5s" is not a duration — write "2500ms"',
    },
    {
      name: 'not a duration at all',
      toml: withExtra('timeout = "forever"'),
      line: 9,
      message:
        '"forever" is not a duration — write a whole number and a unit (ms, s or m), e.g. "250ms", "1s" or "2m"',
    },
    {
      name: 'misspelt key',
      toml: withExtra('timout = "30s"'),
      line: 9,
      message: 'unknown key "timout" in [component.api] — did you mean "timeout"?',
    },
  ]);
});

describe('limits: max_memory errors', () => {
  itReportsEach(app, [
    {
      name: 'a decimal unit',
      toml: withExtra('max_memory = "64MB"'),
      line: 9,
      message:
        'invalid max_memory in [component.api]: "64MB" is not a size; sizes use binary units (KiB, MiB, GiB), not decimal ones (KB, MB, GB) — write "64MiB"',
    },
    {
      name: 'a one-letter unit',
      toml: withExtra('max_memory = "512k"'),
      line: 9,
      message:
        '"512k" is not a size; sizes use binary units (KiB, MiB, GiB), not decimal ones (KB, MB, GB) — write "512KiB"',
    },
    {
      name: 'a decimal unit beyond the maximum',
      toml: withExtra('max_memory = "8GB"'),
      line: 9,
      message:
        '"8GB" is not a size; sizes use binary units (KiB, MiB, GiB), not decimal ones (KB, MB, GB) — write "4GiB" (the maximum)',
    },
    {
      name: 'the wrong case',
      toml: withExtra('max_memory = "64mib"'),
      line: 9,
      message: 'invalid max_memory in [component.api]: "64mib" is not a size — write "64MiB"',
    },
    {
      name: 'a space',
      toml: withExtra('max_memory = "64 MiB"'),
      line: 9,
      message: '"64 MiB" is not a size — write "64MiB"',
    },
    {
      name: 'a fraction',
      toml: withExtra('max_memory = "1.5GiB"'),
      line: 9,
      message: '"1.5GiB" is not a size — write "1536MiB"',
    },
    {
      name: 'not a size at all',
      toml: withExtra('max_memory = "lots"'),
      line: 9,
      message:
        '"lots" is not a size — write a whole number and a binary unit (B, KiB, MiB or GiB), e.g. "512KiB", "64MiB" or "1GiB"',
    },
    {
      name: 'a string without a unit, in bytes',
      toml: withExtra('max_memory = "67108864"'),
      line: 9,
      message: '"67108864" has no unit — write "64MiB" if you meant 67108864 bytes',
    },
    {
      name: 'a small number',
      toml: withExtra('max_memory = 64'),
      line: 9,
      message:
        '"max_memory" in [component.api] must be a size string like "64MiB", got an integer (64) — write max_memory = "64MiB" if you meant 64 MiB',
    },
    {
      name: 'a number of bytes',
      toml: withExtra('max_memory = 1_048_576'),
      line: 9,
      message: 'got an integer (1048576) — write max_memory = "1MiB" if you meant 1048576 bytes',
    },
    {
      name: 'an array',
      toml: withExtra('max_memory = ["64MiB"]'),
      line: 9,
      message:
        'must be a size string like "64MiB", got an array — write a whole number and a binary unit (B, KiB, MiB or GiB), e.g. "512KiB", "64MiB" or "1GiB", in quotes: max_memory = "64MiB"',
    },
    {
      name: 'less than one wasm page',
      toml: withExtra('max_memory = "32KiB"'),
      line: 9,
      message:
        'invalid max_memory in [component.api]: "32KiB" is less than the minimum of 64KiB (one wasm page) — write "64KiB" or more',
    },
    {
      name: 'more than a 32-bit memory can address',
      toml: withExtra('max_memory = "5GiB"'),
      line: 9,
      message:
        '"5GiB" is more than the maximum of 4GiB (all a 32-bit memory can address) — write "4GiB" or less',
    },
  ]);
});

describe('limits: max_concurrent errors', () => {
  itReportsEach(app, [
    {
      name: 'zero',
      toml: withExtra('max_concurrent = 0'),
      line: 9,
      message:
        '"max_concurrent" in [component.api] must be from 1 to 1000000, got 0 — the smallest allowed is max_concurrent = 1',
    },
    {
      name: 'too many',
      toml: withExtra('max_concurrent = 1_000_001'),
      line: 9,
      message: 'got 1000001 — the largest allowed is max_concurrent = 1000000',
    },
    {
      name: 'a fraction',
      toml: withExtra('max_concurrent = 1.5'),
      line: 9,
      message:
        '"max_concurrent" in [component.api] must be an integer, got a float (1.5) — write max_concurrent = 100',
    },
    {
      name: 'quoted',
      toml: withExtra('max_concurrent = "10"'),
      line: 9,
      message:
        '"max_concurrent" in [component.api] must be an integer, got a string ("10") — remove the quotes: max_concurrent = 10',
    },
  ]);
});

describe('limits: where', () => {
  itReportsEach(app, [
    {
      name: 'in a second component, on its own line',
      toml: withExtra('[component.web]', 'source = "app.wasm"', 'max_memory = "1GB"'),
      line: 11,
      message: 'invalid max_memory in [component.web]: "1GB" is not a size',
    },
    {
      name: 'after blank lines, on its own line',
      toml: withExtra('', '[component.web]', 'source = "app.wasm"', '', 'timeout = "0ms"'),
      line: 13,
      message: 'invalid timeout in [component.web]: "0ms" is shorter than the minimum of 1ms',
    },
  ]);

  it('reports every problem at once, each on its line', async () => {
    const problems = await problemsOf(
      app.dir,
      withExtra('timeout = 30', 'max_memory = "64MB"', 'description = "api"', 'max_concurrent = 0'),
    );
    assert.deepEqual(
      problems.map((p) => p.line),
      [9, 10, 12],
    );
  });
});

describe('timeoutProblem and maxMemoryProblem', () => {
  it('accept the bounds and what lies between', () => {
    for (const text of ['1ms', '30s', '60m', '3600000ms'])
      assert.equal(timeoutProblem(text), undefined, text);
    for (const text of ['64KiB', '64MiB', '4GiB', '65536B', '4096MiB'])
      assert.equal(maxMemoryProblem(text), undefined, text);
  });
  it('reject just past them', () => {
    assert.match(timeoutProblem('0ms')?.message ?? '', /shorter than the minimum of 1ms/);
    assert.match(timeoutProblem('3600001ms')?.message ?? '', /longer than the maximum of 60m/);
    assert.match(maxMemoryProblem('65535B')?.message ?? '', /less than the minimum of 64KiB/);
    assert.match(maxMemoryProblem('4194305KiB')?.message ?? '', /more than the maximum of 4GiB/);
  });
});
