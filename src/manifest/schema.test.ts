/** The JSON Schema for editors must accept the same keys and ids as the loader, so the two cannot drift. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_FRESH, DEFAULT_REUSE } from './app.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { APPLICATION_NAME, COMPONENT_ID, LIFECYCLE_MODES, MANIFEST_KEYS } from './keys.ts';
import { formatSize, parseSize } from './size.ts';
import { LIFECYCLE_LIMITS } from './validate-lifecycle.ts';
import { COMPONENT_LIMITS } from './validate-limits.ts';

interface SchemaNode {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  pattern?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  required?: string[];
}

const schema = JSON.parse(
  fs.readFileSync(new URL('../../schema/skiff.schema.json', import.meta.url), 'utf8'),
) as SchemaNode & { $schema: string; $defs: Record<string, SchemaNode> };

/** Follows `$ref: "#/$defs/x"` so tests can walk the schema the way an editor does. */
function resolve(node: SchemaNode | undefined): SchemaNode {
  assert.ok(node, 'schema node missing');
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/$defs/', '');
  return resolve(schema.$defs[name]);
}

const propertiesOf = (node: SchemaNode | undefined): string[] =>
  Object.keys(resolve(node).properties ?? {}).sort();
const sorted = (keys: readonly string[]): string[] => [...keys].sort();

describe('schema/skiff.schema.json', () => {
  const component = resolve(schema.properties?.component?.additionalProperties as SchemaNode);
  const httpTrigger = resolve(schema.properties?.trigger?.properties?.http?.items);
  const lifecycle = resolve(component.properties?.lifecycle?.oneOf?.[1]);
  const spots: [string, SchemaNode, readonly string[]][] = [
    ['top level', schema, MANIFEST_KEYS.topLevel],
    ['[application]', resolve(schema.properties?.application), MANIFEST_KEYS.application],
    ['[trigger]', resolve(schema.properties?.trigger), MANIFEST_KEYS.trigger],
    ['[[trigger.http]]', httpTrigger, MANIFEST_KEYS.httpTrigger],
    ['route = { … }', resolve(httpTrigger.properties?.route?.oneOf?.[1]), MANIFEST_KEYS.privateRoute],
    ['[component.X]', component, MANIFEST_KEYS.component],
    ['[component.X.build]', resolve(component.properties?.build), MANIFEST_KEYS.build],
    ['files entry', resolve(component.properties?.files?.items?.oneOf?.[1]), MANIFEST_KEYS.fileMount],
    ['[component.X.lifecycle]', lifecycle, MANIFEST_KEYS.lifecycle],
  ];

  for (const [spot, node, keys] of spots) {
    it(`${spot}: lists exactly the keys the loader accepts, closed to others, each described`, () => {
      assert.deepEqual(propertiesOf(node), sorted(keys));
      assert.equal(node.additionalProperties, false, 'editors should flag unknown keys as the loader does');
      for (const [key, property] of Object.entries(node.properties ?? {})) {
        assert.ok(resolve(property).description, `${spot}.${key} has no description`);
      }
    });
  }

  it('is draft 2020-12 and uses the loader id patterns', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.properties?.component?.propertyNames?.pattern, COMPONENT_ID.source);
    assert.equal(httpTrigger.properties?.component?.pattern, COMPONENT_ID.source);
    assert.equal(resolve(schema.properties?.application).properties?.name?.pattern, APPLICATION_NAME.source);
  });

  it('requires what the loader requires', () => {
    assert.deepEqual(schema.required, ['skiff_manifest_version', 'application']);
    assert.deepEqual(resolve(schema.properties?.application).required, ['name']);
    assert.deepEqual(component.required, ['source']);
    assert.deepEqual(httpTrigger.required, ['route', 'component']);
    assert.deepEqual(lifecycle.required, ['mode']);
  });

  it('lifecycle: the loader modes, defaults and bounds', () => {
    assert.deepEqual(component.properties?.lifecycle?.oneOf?.[0]?.enum, [...LIFECYCLE_MODES]);
    assert.deepEqual(lifecycle.properties?.mode?.enum, [...LIFECYCLE_MODES]);
    const { max_requests, idle_timeout, prewarm } = lifecycle.properties ?? {};
    assert.deepEqual(
      [max_requests?.default, max_requests?.minimum, max_requests?.maximum],
      [DEFAULT_REUSE.maxRequests, LIFECYCLE_LIMITS.maxRequests.min, LIFECYCLE_LIMITS.maxRequests.max],
    );
    assert.equal(idle_timeout?.default, formatDuration(DEFAULT_REUSE.idleTimeoutMs));
    assert.deepEqual(
      [prewarm?.default, prewarm?.minimum, prewarm?.maximum],
      [DEFAULT_FRESH.prewarm, LIFECYCLE_LIMITS.prewarm.min, LIFECYCLE_LIMITS.prewarm.max],
    );
    for (const [key, value] of Object.entries({ max_requests, idle_timeout, prewarm })) {
      const mode = key === 'prewarm' ? 'fresh' : 'reuse';
      assert.match(value?.description ?? '', new RegExp(`mode = "${mode}" only`), key);
      assert.match(value?.description ?? '', /default/, key);
    }
    assert.match(component.properties?.lifecycle?.description ?? '', /"fresh" \(the default\)/);
  });

  it('limits: the loader bounds, and the flag that overrides each', () => {
    const { timeout, max_memory, max_concurrent } = component.properties ?? {};
    const { timeoutMs, maxMemoryBytes, maxConcurrent } = COMPONENT_LIMITS;
    assert.deepEqual(
      [max_concurrent?.minimum, max_concurrent?.maximum],
      [maxConcurrent.min, maxConcurrent.max],
    );
    // Strings cannot carry minimum/maximum, so their descriptions state the bounds.
    const bounds: [string, SchemaNode | undefined, string][] = [
      ['timeout', timeout, `${formatDuration(timeoutMs.min)} to ${formatDuration(timeoutMs.max)}`],
      [
        'max_memory',
        max_memory,
        `${formatSize(maxMemoryBytes.min)} (one wasm page) to ${formatSize(maxMemoryBytes.max)}`,
      ],
      ['max_concurrent', max_concurrent, `${maxConcurrent.min} to ${maxConcurrent.max}`],
    ];
    for (const [key, property, range] of bounds) {
      const description = property?.description ?? '';
      assert.ok(description.includes(` ${range}.`), `${key} should state "${range}": ${description}`);
      assert.ok(
        description.includes(`\`--${key.replace('_', '-')}\` overrides it`),
        `${key}: ${description}`,
      );
    }
  });

  const grammars: [string, string | undefined, (text: string) => number | undefined, string[]][] = [
    [
      'lifecycle idle_timeout',
      lifecycle.properties?.idle_timeout?.pattern,
      parseDuration,
      ['250ms', '1s', '2m', '10ms', '60m', '1.5s', '1h', '1 s', '-1s', '1', 's', 'ms', '1S'],
    ],
    [
      'timeout',
      component.properties?.timeout?.pattern,
      parseDuration,
      ['1ms', '30s', '60m', '0s', '1.5s', '1h', '30', '30 s', '30S', '+1s'],
    ],
    [
      'max_memory',
      component.properties?.max_memory?.pattern,
      parseSize,
      ['1B', '64KiB', '64MiB', '4GiB', '64MB', '64M', '64mib', '1.5GiB', '64 MiB', '65536', 'MiB', '-1MiB'],
    ],
  ];
  for (const [key, source, parse, samples] of grammars) {
    it(`${key}: the pattern accepts exactly what ${parse.name} reads`, () => {
      const pattern = new RegExp(source ?? '$^');
      for (const text of samples) assert.equal(pattern.test(text), parse(text) !== undefined, text);
    });
  }
});
