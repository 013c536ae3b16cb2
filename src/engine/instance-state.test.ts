import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { exportMutableState } from './export-state.ts';
import { InstanceState, type MemoryImages } from './instance-state.ts';

// Internal state that nothing exports: the rewrite must expose it, the snapshot must restore it.
const WAT = `(module
  (import "host" "tick" (func $tick))
  (memory 1)
  (table 2 funcref)
  (global $counter (mut i32) (i32.const 5))
  (global $limit i32 (i32.const 9))
  (global $big (mut i64) (i64.const 7))
  (func $a (result i32) (i32.const 1))
  (func $b (result i32) (i32.const 2))
  (elem (i32.const 0) $a)
  (elem declare func $b)
  (data (i32.const 16) "fresh")
  (func (export "mutate")
    (call $tick)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.set $big (i64.const 99))
    (i32.store8 (i32.const 16) (i32.const 88))
    (table.set (i32.const 1) (ref.func $b)))
  (func (export "grow") (drop (memory.grow (i32.const 1))))
  (func (export "read") (result i32 i32 i32)
    (global.get $counter) (i32.load8_u (i32.const 16)) (ref.is_null (table.get (i32.const 1))))
  (export "limit" (global $limit)))`;

async function instantiate() {
  const original = await parse(WAT);
  const rewritten = exportMutableState(original);
  const module = await WebAssembly.compile(rewritten as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, { host: { tick: () => {} } });
  return { original, module, instance, exports: instance.exports as Record<string, () => unknown> };
}

test('the rewrite exports every defined memory, table and mutable global, and nothing else changes', async () => {
  const { original, module } = await instantiate();
  const names = WebAssembly.Module.exports(module).map((e) => `${e.name}:${e.kind}`);
  assert.deepEqual(names.filter((n) => n.startsWith('skiff$')).sort(), [
    'skiff$global$0:global',
    'skiff$global$2:global',
    'skiff$memory$0:memory',
    'skiff$table$0:table',
  ]);
  assert.ok(names.includes('limit:global'), 'existing exports are kept');
  assert.equal(
    exportMutableState(exportMutableState(original)).length,
    exportMutableState(original).length,
    'idempotent',
  );
});

test('restore puts memory, globals and tables back to the snapshot', async () => {
  const { instance, exports } = await instantiate();
  const state = new InstanceState([instance]);
  assert.equal(state.resettable, true);
  assert.deepEqual(exports.read?.(), [5, 'f'.charCodeAt(0), 1]);
  exports.mutate?.();
  exports.mutate?.();
  assert.deepEqual(exports.read?.(), [7, 88, 0]);
  assert.equal(state.restore(), true);
  assert.deepEqual(exports.read?.(), [5, 'f'.charCodeAt(0), 1]);
  assert.equal((instance.exports.skiff$global$2 as WebAssembly.Global).value, 7n);
});

test('an instance whose memory grew cannot be restored (its size is visible to the guest)', async () => {
  const { instance, exports } = await instantiate();
  const state = new InstanceState([instance]);
  exports.mutate?.();
  exports.grow?.();
  assert.equal(state.restore(), false);
  assert.deepEqual(exports.read?.(), [6, 88, 0], 'a refused restore changes nothing');
});

test('instances of one module share their post-instantiation memory image: one copy, each restored to it', async () => {
  const images: MemoryImages = { bytes: [], trusted: true };
  const first = await instantiate();
  const firstState = new InstanceState([first.instance], images);
  assert.equal(images.bytes.length, 1, 'the first instance fills the shared image');
  const image = images.bytes[0];
  const second = await instantiate();
  const secondState = new InstanceState([second.instance], images);
  assert.equal(images.bytes[0], image, 'the second instance shares it');
  second.exports.mutate?.();
  first.exports.mutate?.();
  assert.deepEqual(second.exports.read?.(), [6, 88, 0]);
  assert.equal(secondState.restore(), true);
  assert.equal(firstState.restore(), true);
  // Each is back to the data segments, and neither restore touched the other's memory.
  assert.deepEqual(second.exports.read?.(), [5, 102, 1]);
  assert.deepEqual(first.exports.read?.(), [5, 102, 1]);
});

test('untrusted images (a start function ran) are shared only when the memories are equal', async () => {
  const images: MemoryImages = { bytes: [], trusted: false };
  const first = await instantiate();
  new InstanceState([first.instance], images);
  const image = images.bytes[0];
  const equal = await instantiate();
  new InstanceState([equal.instance], images);
  assert.equal(images.bytes[0], image, 'an equal memory shares the image');
  // As if its start function had written something else: this instance gets its own image.
  const different = await instantiate();
  different.exports.mutate?.();
  const differentState = new InstanceState([different.instance], images);
  assert.notEqual(images.bytes[0], image, 'a different memory is copied');
  different.exports.mutate?.();
  assert.equal(differentState.restore(), true);
  assert.deepEqual(different.exports.read?.(), [6, 88, 0], 'restored to its own post-instantiation state');
});
