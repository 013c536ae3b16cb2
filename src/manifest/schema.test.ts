/** The JSON Schema for editors must accept the same keys and ids as the loader, so the two cannot drift. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { APPLICATION_NAME, COMPONENT_ID, MANIFEST_KEYS } from './keys.ts';

interface SchemaNode {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  pattern?: string;
  description?: string;
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
  const spots: [string, SchemaNode, readonly string[]][] = [
    ['top level', schema, MANIFEST_KEYS.topLevel],
    ['[application]', resolve(schema.properties?.application), MANIFEST_KEYS.application],
    ['[trigger]', resolve(schema.properties?.trigger), MANIFEST_KEYS.trigger],
    ['[[trigger.http]]', httpTrigger, MANIFEST_KEYS.httpTrigger],
    ['route = { … }', resolve(httpTrigger.properties?.route?.oneOf?.[1]), MANIFEST_KEYS.privateRoute],
    ['[component.X]', component, MANIFEST_KEYS.component],
    ['[component.X.build]', resolve(component.properties?.build), MANIFEST_KEYS.build],
    ['files entry', resolve(component.properties?.files?.items?.oneOf?.[1]), MANIFEST_KEYS.fileMount],
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
  });
});
