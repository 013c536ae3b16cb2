/**
 * The resolver against an independent reading of the same bytes: wasm-tools (through
 * jco-transpile) prints each component's world as WIT, and every import and export name, every
 * function's parameters and result, and every type an interface exports must come out the same.
 * Both sides are printed by wit-print.ts, so only the spelling is shared, not the reading.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import { parseComponent } from './index.ts';
import type { ResolvedItem } from './resolve-types.ts';
import { fixtureCorpus, SUITE_ROOT, suiteAvailable, suiteCorpus } from './test-corpus.ts';
import { type OracleItem, oracleWorld } from './wit-oracle.ts';
import { printFunctionType, printValueType } from './wit-print.ts';

const printType = (t: ResourceType | ValueType) =>
  t.kind === 'resource' ? `resource ${t.name}` : printValueType(t);

interface Members {
  kind: 'interface' | 'func';
  functions: Map<string, FunctionType>;
  types: Map<string, ResourceType | ValueType>;
}

function membersOf(name: string, item: ResolvedItem): Members {
  if (item.kind === 'func')
    return { kind: 'func', functions: new Map([[name, item.type]]), types: new Map() };
  if (item.kind !== 'instance')
    throw new Error(`${name} is a ${item.kind}; the oracle only knows instances and funcs`);
  const functions = new Map<string, FunctionType>();
  const types = new Map<string, ResourceType | ValueType>();
  for (const [exportName, exported] of item.shape.exports) {
    if (exported.kind === 'func') functions.set(exportName, exported.type);
    else if (exported.kind === 'type') {
      const type = exported.type;
      if (type.kind === 'resource') types.set(exportName, type.resource);
      else if (type.kind === 'value') types.set(exportName, type.type);
    }
  }
  return { kind: 'interface', functions, types };
}

function compareMembers(where: string, mine: Members, theirs: OracleItem, problems: string[]): void {
  if (mine.kind !== theirs.kind)
    problems.push(`${where}: a ${mine.kind} here, a ${theirs.kind} for wasm-tools`);
  const compare = <T>(what: string, a: Map<string, T>, b: Map<string, T>, print: (x: T) => string) => {
    for (const name of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(name);
      const y = b.get(name);
      if (x === undefined) problems.push(`${where}: ${what} ${name} missing (wasm-tools has it)`);
      else if (y === undefined) problems.push(`${where}: ${what} ${name} is extra (wasm-tools lacks it)`);
      else if (print(x) !== print(y))
        problems.push(`${where}: ${what} ${name}\n  mine:      ${print(x)}\n  wasm-tools: ${print(y)}`);
    }
  };
  compare('function', mine.functions, theirs.functions, printFunctionType);
  compare('type', mine.types, theirs.types, printType);
}

async function crossCheck(bytes: Uint8Array): Promise<number> {
  const { world } = parseComponent(bytes);
  const oracle = await oracleWorld(bytes);
  const problems: string[] = [];
  let functions = 0;
  for (const direction of ['imports', 'exports'] as const) {
    const mine = new Map(world[direction].map((w) => [w.name, w.item]));
    const theirs = new Map(oracle[direction].map((o) => [o.name, o]));
    assert.deepEqual([...mine.keys()].sort(), [...theirs.keys()].sort(), `${direction} differ`);
    for (const [name, item] of mine) {
      const members = membersOf(name, item);
      functions += members.functions.size;
      compareMembers(`${direction.slice(0, -1)} ${name}`, members, theirs.get(name) as OracleItem, problems);
    }
  }
  assert.deepEqual(problems, [], problems.join('\n'));
  return functions;
}

for (const entry of fixtureCorpus()) {
  test(`${entry.name}: world and function types match wasm-tools`, async () => {
    const functions = await crossCheck(await entry.load());
    assert.ok(functions > 0, 'at least one function compared');
  });
}

test('WASI conformance suite components: worlds and function types match wasm-tools', async (t) => {
  if (!suiteAvailable()) {
    const message = `the WASI test suite is not at ${SUITE_ROOT}`;
    if (process.env.CI) assert.fail(`${message}; CI must run it`);
    t.skip(message);
    return;
  }
  for (const entry of suiteCorpus())
    await t.test(entry.name, async () => void (await crossCheck(await entry.load())));
});

test('a component exporting a resource it defines, through a nested component: matches wasm-tools', async () => {
  const bytes = await parse(`(component
    (import "wasi:io/poll@0.2.0" (instance $poll
      (export "pollable" (type (sub resource)))
      (export "[method]pollable.ready" (func (param "self" (borrow 0)) (result bool)))))
    (alias export $poll "pollable" (type $pollable))
    (core module $m
      (memory (export "memory") 1)
      (func (export "dtor") (param i32))
      (func (export "watch") (param i32 i32) unreachable))
    (core instance $i (instantiate $m))
    (alias core export $i "dtor" (core func $dtor))
    (type $blob (resource (rep i32) (dtor (core func $dtor))))
    (type $watch-type (func (param "self" (borrow $blob)) (param "p" (own $pollable))))
    (alias core export $i "watch" (core func $watch-core))
    (func $watch (type $watch-type) (canon lift (core func $watch-core)))
    (component $shim
      (import "import-type-pollable" (type $p (sub resource)))
      (import "import-type-blob" (type $b (sub resource)))
      (import "import-method-blob-watch" (func $f (param "self" (borrow $b)) (param "p" (own $p))))
      (export $ep "pollable" (type $p))
      (export $eb "blob" (type $b))
      (export "[method]blob.watch" (func $f) (func (param "self" (borrow $eb)) (param "p" (own $ep)))))
    (instance $api (instantiate $shim
      (with "import-type-pollable" (type $pollable))
      (with "import-type-blob" (type $blob))
      (with "import-method-blob-watch" (func $watch))))
    (export "my:pkg/api@1.0.0" (instance $api)))`);
  assert.equal(await crossCheck(bytes), 2);
});
