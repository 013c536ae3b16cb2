/**
 * Every component the project runs — the fixtures (C and Go preview1 modules adapted on the fly,
 * Rust, componentize-js) and the WASI conformance suite (0.3 components, and its preview1
 * modules adapted into 0.2 components) — decodes and resolves, with index spaces that line up
 * between the decoded and the resolved component, core modules left in place, and resources that
 * keep one identity across interfaces.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Component } from './ast.ts';
import { decodeComponent, parseComponent } from './index.ts';
import type { ComponentScope } from './resolve-component.ts';
import type { ResolvedItem } from './resolve-types.ts';
import {
  type CorpusEntry,
  fixtureCorpus,
  REPO,
  SUITE_ROOT,
  suiteAvailable,
  suiteCorpus,
} from './test-corpus.ts';
import { functionTypeOf, sameFunctionType } from './world.ts';

function checkSpacesLineUp(component: Component, scope: ComponentScope, where: string): void {
  assert.equal(scope.types.length, component.spaces.type.length, `${where}: type space`);
  assert.equal(scope.funcs.length, component.spaces.func.length, `${where}: func space`);
  assert.equal(scope.instances.length, component.spaces.instance.length, `${where}: instance space`);
  assert.equal(scope.components.length, component.spaces.component.length, `${where}: component space`);
  assert.equal(scope.values.length, component.spaces.value.length, `${where}: value space`);
  for (const [definition, nested] of scope.instantiations) {
    checkSpacesLineUp(nested.component, nested, `${where} > instance at ${definition.offset}`);
  }
}

function checkCoreModulesAreViews(component: Component, input: Uint8Array): void {
  for (const definition of component.definitions) {
    if (definition.kind === 'core module') {
      assert.equal(definition.bytes.buffer, input.buffer, 'the core module is a view, not a copy');
      assert.equal(definition.bytes.byteOffset - input.byteOffset, definition.offset);
      assert.deepEqual([...definition.bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
    } else if (definition.kind === 'component') checkCoreModulesAreViews(definition.component, input);
  }
}

async function checkEntry(entry: CorpusEntry): Promise<void> {
  const bytes = await entry.load();
  const { component, scope, world } = parseComponent(bytes);
  checkSpacesLineUp(component, scope, entry.name);
  checkCoreModulesAreViews(component, bytes);
  assert.ok(world.exports.length > 0, 'a component with exports');
  const canonLowers = component.definitions.filter(
    (d) => d.kind === 'canon' && d.canon.kind === 'lower',
  ).length;
  assert.ok(canonLowers > 0, 'it lowers host functions');
}

for (const entry of fixtureCorpus()) {
  test(`${entry.name} decodes and resolves`, () => checkEntry(entry));
}

test('WASI conformance suite components decode and resolve', async (t) => {
  if (!suiteAvailable()) {
    const message = `the WASI test suite is not at ${SUITE_ROOT}`;
    if (process.env.CI) assert.fail(`${message}; CI must run it`);
    t.skip(message);
    return;
  }
  const entries = suiteCorpus();
  assert.ok(
    entries.filter((e) => e.name.includes('wasm32-wasip3')).length >= 50,
    'the WASI 0.3 components are there',
  );
  for (const entry of entries) await t.test(entry.name, () => checkEntry(entry));
});

test('the StarlingMonkey (componentize-js) component parses in well under 100 ms, its 12 MB module not copied', (t) => {
  const bytes = readFileSync(join(REPO, 'fixtures/js/hello/hello.wasm'));
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    parseComponent(bytes);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[3] as number;
  t.diagnostic(`parse: first ${times[0]?.toFixed(2)} ms … median ${median.toFixed(2)} ms`);
  assert.ok(median < 100, `median ${median} ms`);
  const component = decodeComponent(bytes);
  const largest = Math.max(
    ...component.spaces['core module'].map((d) => (d.kind === 'core module' ? d.bytes.length : 0)),
  );
  assert.ok(largest > 10_000_000, 'the StarlingMonkey core module');
});

const resourceOf = (item: ResolvedItem | undefined, name: string) => {
  assert.ok(item?.kind === 'instance');
  const exported = item.shape.exports.get(name);
  assert.ok(exported?.kind === 'type' && exported.type.kind === 'resource', `${name} is a resource`);
  return exported.type.resource;
};

test('a resource keeps one identity across the interfaces that use it, imports and exports alike', () => {
  const { component, world } = parseComponent(readFileSync(join(REPO, 'fixtures/rust/hello/hello.wasm')));
  const imported = (name: string) => world.imports.find((w) => w.name === name)?.item;
  const inputStream = resourceOf(imported('wasi:io/streams@0.2.10'), 'input-stream');
  assert.equal(inputStream.name, 'wasi:io/streams@0.2.10#input-stream');
  assert.equal(inputStream.imported, true);
  assert.equal(resourceOf(imported('wasi:cli/stdin@0.2.6'), 'input-stream'), inputStream);
  assert.equal(
    component.names?.sorts.get('core module')?.get(0),
    'main',
    'the component-name section is read',
  );
  const getStdin = functionTypeOf(world, 'import', 'wasi:cli/stdin@0.2.6', 'get-stdin');
  assert.ok(getStdin?.result?.kind === 'own');
  assert.equal(getStdin.result.resource, inputStream);

  // Type equality: structural, resources by identity.
  const getStdout = functionTypeOf(world, 'import', 'wasi:cli/stdout@0.2.6', 'get-stdout');
  const getStderr = functionTypeOf(world, 'import', 'wasi:cli/stderr@0.2.6', 'get-stderr');
  assert.ok(getStdout && getStderr);
  assert.ok(sameFunctionType(getStdout, getStderr), 'both return own<output-stream>');
  assert.ok(!sameFunctionType(getStdin, getStdout), 'input-stream is not output-stream');

  const incomingRequest = resourceOf(imported('wasi:http/types@0.2.10'), 'incoming-request');
  const handle = functionTypeOf(world, 'export', 'wasi:http/incoming-handler@0.2.10', 'handle');
  assert.ok(handle?.params[0]?.type.kind === 'own');
  assert.equal(
    handle.params[0].type.resource,
    incomingRequest,
    'the export takes the imported resource itself',
  );
  const method = functionTypeOf(world, 'import', 'wasi:http/types@0.2.10', '[method]incoming-request.method');
  assert.ok(method?.params[0]?.type.kind === 'borrow');
  assert.equal(method.params[0].type.resource, incomingRequest);
});

test('a WASI 0.3 component: async export, stream and future types, async ABI built-ins', (t) => {
  if (!suiteAvailable()) return t.skip(`the WASI test suite is not at ${SUITE_ROOT}`);
  const bytes = readFileSync(join(SUITE_ROOT, 'rust/testsuite/wasm32-wasip3/http-service.wasm'));
  const { component, world } = parseComponent(bytes);
  const handle = functionTypeOf(world, 'export', 'wasi:http/handler@0.3.0', 'handle');
  assert.equal(handle?.async, true);
  const consumeBody = functionTypeOf(
    world,
    'import',
    'wasi:http/types@0.3.0',
    '[static]request.consume-body',
  );
  assert.ok(consumeBody?.result?.kind === 'tuple');
  assert.deepEqual(
    consumeBody.result.types.map((x) => x.kind),
    ['stream', 'future'],
  );
  const kinds = new Set(component.definitions.flatMap((d) => (d.kind === 'canon' ? [d.canon.kind] : [])));
  for (const kind of [
    'task.return',
    'waitable-set.poll',
    'stream.read',
    'future.write',
    'context.get',
  ] as const) {
    assert.ok(kinds.has(kind), kind);
  }
  const lift = component.definitions.find(
    (d) => d.kind === 'canon' && d.canon.kind === 'lift' && d.canon.options.async,
  );
  assert.ok(
    lift?.kind === 'canon' && lift.canon.kind === 'lift' && lift.canon.options.callback !== undefined,
  );
});
