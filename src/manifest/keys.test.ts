import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPONENT_ID, closestMatch, MANIFEST_KEYS, toIdentifier } from './keys.ts';

describe('closestMatch', () => {
  const component = MANIFEST_KEYS.component;
  const cases: [string, string | undefined][] = [
    ['sorce', 'source'], // one deletion
    ['soruce', 'source'], // one swap
    ['Source', 'source'], // case only
    ['enviroment', 'environment'],
    ['env', 'environment'], // prefix
    ['allowed_outbound_hosts_list', 'allowed_outbound_hosts'], // the key is a prefix of the input
    ['colour', undefined],
    ['ab', undefined], // two edits on two letters would match anything
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected ?? 'nothing'}`, () => assert.equal(closestMatch(input, component), expected));
  }
});

describe('toIdentifier', () => {
  const cases: [string, string][] = [
    ['Hello World', 'hello-world'],
    ['hello_world', 'hello_world'],
    ['my--api-', 'my-api'],
    ['1st.app', 'st-app'],
    ['ÄÖÜ', 'component'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}, a valid component id`, () => {
      const id = toIdentifier(input, 'component');
      assert.equal(id, expected);
      assert.match(id, COMPONENT_ID);
    });
  }
});

describe('capability keys', () => {
  it('every key a capability reads is a manifest key, at the spot it reads it', async () => {
    const { CAPABILITIES } = await import('../capabilities/registry.ts');
    for (const capability of CAPABILITIES) {
      for (const key of capability.componentKeys)
        assert.ok(
          (MANIFEST_KEYS.component as readonly string[]).includes(key),
          `${capability.name}: ${key} is not in MANIFEST_KEYS.component`,
        );
      for (const key of capability.topLevelKeys ?? [])
        assert.ok(
          (MANIFEST_KEYS.topLevel as readonly string[]).includes(key),
          `${capability.name}: ${key} is not in MANIFEST_KEYS.topLevel`,
        );
    }
  });
});
