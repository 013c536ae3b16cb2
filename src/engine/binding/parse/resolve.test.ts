/**
 * The resolver on small components written for the purpose (WAT, assembled by wasm-tools): the
 * cases the fixtures do not reach — resources the component defines, nested components
 * instantiated with type arguments and more than once, imported component types, world-level
 * types, and every canon built-in of the async ABI and the threads proposal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import type { Canon } from './ast.ts';
import { decodeComponent, parseComponent, printFunctionType, resourcesOf } from './index.ts';
import { functionTypeOf } from './world.ts';

test('a resource the component defines keeps one identity from definition to export, named by the export', async () => {
  const bytes = await parse(`(component
    (core module $m
      (memory (export "memory") 1)
      (func (export "dtor") (param i32))
      (func (export "size") (param i32) (result i32) unreachable))
    (core instance $i (instantiate $m))
    (alias core export $i "dtor" (core func $dtor))
    (type $blob (resource (rep i32) (dtor (core func $dtor))))
    (type $size-type (func (param "self" (borrow $blob)) (result u32)))
    (alias core export $i "size" (core func $size-core))
    (func $size (type $size-type) (canon lift (core func $size-core)))
    (component $shim
      (import "import-type-blob" (type $b (sub resource)))
      (import "import-method-blob-size" (func $f (param "self" (borrow $b)) (result u32)))
      (export $eb "blob" (type $b))
      (export "[method]blob.size" (func $f) (func (param "self" (borrow $eb)) (result u32))))
    (instance $api (instantiate $shim
      (with "import-type-blob" (type $blob))
      (with "import-method-blob-size" (func $size))))
    (export "my:pkg/api@1.0.0" (instance $api)))`);
  const { scope, world } = parseComponent(bytes);
  const api = world.exports[0];
  assert.ok(api?.name === 'my:pkg/api@1.0.0' && api.item.kind === 'instance');
  const blob = resourcesOf(api.item.shape).get('blob');
  assert.deepEqual(blob, { kind: 'resource', name: 'my:pkg/api@1.0.0#blob', imported: false });
  const defined = scope.types[0];
  assert.ok(defined?.kind === 'resource');
  assert.equal(defined.resource, blob, 'the type definition and the export are one object');
  assert.deepEqual(scope.resources.get(blob), { typeIndex: 0, rep: 'i32', destructor: 0 });
  const size = functionTypeOf(world, 'export', 'my:pkg/api@1.0.0', '[method]blob.size');
  assert.ok(size?.params[0]?.type.kind === 'borrow');
  assert.equal(size.params[0].type.resource, blob);
  assert.equal(printFunctionType(size), 'func(self: borrow<my:pkg/api@1.0.0#blob>) -> u32');
  const [nested] = scope.instantiations.values();
  const imported = nested?.imports.get('import-type-blob');
  assert.ok(imported?.kind === 'type' && imported.type.kind === 'resource');
  assert.equal(imported.type.resource, blob, 'the nested component sees the argument, not a new resource');
});

test('a nested component instantiated twice defines two distinct resources', async () => {
  const bytes = await parse(`(component
    (component $c
      (type $r (resource (rep i32)))
      (export "r" (type $r)))
    (instance $a (instantiate $c))
    (instance $b (instantiate $c))
    (alias export $a "r" (type $ra))
    (alias export $b "r" (type $rb))
    (core func (canon resource.drop $ra))
    (core func (canon resource.drop $rb)))`);
  const { scope } = parseComponent(bytes);
  const [ra, rb] = scope.types;
  assert.ok(ra?.kind === 'resource' && rb?.kind === 'resource');
  assert.notEqual(ra.resource, rb.resource);
  assert.equal(scope.instantiations.size, 2);
});

test('world-level imports: a resource type, records, fixed-length lists, async functions, streams and futures', async () => {
  const bytes = await parse(`(component
    (import "r" (type $r (sub resource)))
    (type $point (record (field "x" s32) (field "y" s32)))
    (type $four (list u8 4))
    (import "draw" (func (param "at" $point) (param "bytes" $four) (param "with" (own $r))))
    (type $s (stream u8))
    (type $fu (future (result string (error error-context))))
    (import "pipe" (func async (param "in" $s) (result $fu)))
    (type $e (enum "a" "b"))
    (type $fl (flags "read" "write"))
    (type $v (variant (case "none") (case "some" $e) (case "other" (tuple $fl char f64))))
    (import "misc" (func (param "v" $v) (result (option (list (result $point)))))))`);
  const { world } = parseComponent(bytes);
  const signature = (name: string) => {
    const type = functionTypeOf(world, 'import', name);
    assert.ok(type, name);
    return printFunctionType(type);
  };
  assert.equal(signature('draw'), 'func(at: record { x: s32, y: s32 }, bytes: list<u8, 4>, %with: own<r>)');
  assert.equal(signature('pipe'), 'async func(in: stream<u8>) -> future<result<string, error-context>>');
  assert.equal(
    signature('misc'),
    'func(v: variant { none, some(enum { a, b }), other(tuple<flags { read, write }, char, f64>) }) -> option<list<result<record { x: s32, y: s32 }>>>',
  );
  const r = world.imports[0];
  assert.ok(r?.item.kind === 'type' && r.item.type.kind === 'resource');
  const draw = functionTypeOf(world, 'import', 'draw');
  assert.ok(draw?.params[2]?.type.kind === 'own');
  assert.equal(draw.params[2].type.resource, r.item.type.resource);
  assert.deepEqual(r.item.type.resource, { kind: 'resource', name: 'r', imported: true });
});

test('an imported component type is instantiated at the type level', async () => {
  const bytes = await parse(`(component
    (import "f" (func $f (param "x" u32)))
    (import "c" (component $c
      (import "in" (func (param "x" u32)))
      (export "out" (func (result string)))))
    (instance $i (instantiate $c (with "in" (func $f))))
    (alias export $i "out" (func $out))
    (export "out" (func $out)))`);
  const { world } = parseComponent(bytes);
  assert.deepEqual(
    world.imports.map((w) => [w.name, w.item.kind]),
    [
      ['f', 'func'],
      ['c', 'component'],
    ],
  );
  const out = functionTypeOf(world, 'export', 'out');
  assert.ok(out);
  assert.equal(printFunctionType(out), 'func() -> string');
});

const EVERY_BUILTIN = `(component
  (core module $m
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable)
    (table (export "tbl") 1 funcref))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (alias core export $i "tbl" (core table $tbl))
  (type $r (resource (rep i32)))
  (type $s (stream u8))
  (type $f (future string))
  (core type $ft (func (param i32)))
  (core func (canon resource.new $r))
  (core func (canon resource.drop $r))
  (core func (canon resource.rep $r))
  (core func (canon backpressure.inc))
  (core func (canon backpressure.dec))
  (core func (canon task.return (result u32) (memory $mem)))
  (core func (canon task.cancel))
  (core func (canon context.get i32 0))
  (core func (canon context.set i32 1))
  (core func (canon thread.yield))
  (core func (canon subtask.cancel async))
  (core func (canon subtask.drop))
  (core func (canon stream.new $s))
  (core func (canon stream.read $s (memory $mem) async))
  (core func (canon stream.write $s (memory $mem)))
  (core func (canon stream.cancel-read $s async))
  (core func (canon stream.cancel-write $s))
  (core func (canon stream.drop-readable $s))
  (core func (canon stream.drop-writable $s))
  (core func (canon future.new $f))
  (core func (canon future.read $f (memory $mem) (realloc $realloc) string-encoding=utf16))
  (core func (canon future.write $f (memory $mem) string-encoding=latin1+utf16))
  (core func (canon future.cancel-read $f))
  (core func (canon future.cancel-write $f async))
  (core func (canon future.drop-readable $f))
  (core func (canon future.drop-writable $f))
  (core func (canon error-context.new (memory $mem)))
  (core func (canon error-context.debug-message (memory $mem) (realloc $realloc)))
  (core func (canon error-context.drop))
  (core func (canon waitable-set.new))
  (core func (canon waitable-set.wait (memory $mem)))
  (core func (canon waitable-set.poll (memory $mem)))
  (core func (canon waitable-set.drop))
  (core func (canon waitable.join))
  (core func (canon thread.index))
  (core func (canon thread.new-indirect $ft (core table $tbl)))
  (core func (canon thread.suspend))
  (core func (canon thread.resume-later))
  (core func (canon thread.yield-then-resume))
  (core func (canon thread.suspend-then-resume))
  (core func (canon thread.suspend-then-promote))
  (core func (canon thread.yield-then-promote)))`;

const canonsOf = (bytes: Uint8Array): Array<Canon & { offset: number }> =>
  decodeComponent(bytes).definitions.flatMap((d) =>
    d.kind === 'canon' ? [{ ...d.canon, offset: d.offset }] : [],
  );

test('every canon built-in of the async ABI and of threads decodes, with its immediates and options', async () => {
  const bytes = await parse(EVERY_BUILTIN);
  const canons = canonsOf(bytes);
  assert.deepEqual(
    canons.map((c) => c.kind),
    [
      'resource.new',
      'resource.drop',
      'resource.rep',
      'backpressure.inc',
      'backpressure.dec',
      'task.return',
      'task.cancel',
      'context.get',
      'context.set',
      'thread.yield',
      'subtask.cancel',
      'subtask.drop',
      'stream.new',
      'stream.read',
      'stream.write',
      'stream.cancel-read',
      'stream.cancel-write',
      'stream.drop-readable',
      'stream.drop-writable',
      'future.new',
      'future.read',
      'future.write',
      'future.cancel-read',
      'future.cancel-write',
      'future.drop-readable',
      'future.drop-writable',
      'error-context.new',
      'error-context.debug-message',
      'error-context.drop',
      'waitable-set.new',
      'waitable-set.wait',
      'waitable-set.poll',
      'waitable-set.drop',
      'waitable.join',
      'thread.index',
      'thread.new-indirect',
      'thread.suspend',
      'thread.resume-later',
      'thread.yield-then-resume',
      'thread.suspend-then-resume',
      'thread.suspend-then-promote',
      'thread.yield-then-promote',
    ],
  );
  const byKind = (kind: string) => canons.find((c) => c.kind === kind);
  const futureRead = byKind('future.read');
  assert.ok(futureRead?.kind === 'future.read');
  assert.equal(futureRead.type, 2);
  assert.deepEqual(
    { ...futureRead.options },
    {
      stringEncoding: 'utf16',
      memory: 0,
      realloc: 0,
      postReturn: undefined,
      async: false,
      callback: undefined,
      coreType: undefined,
      gc: false,
    },
  );
  assert.equal(
    (byKind('future.write') as { options: { stringEncoding: string } }).options.stringEncoding,
    'latin1+utf16',
  );
  assert.deepEqual(byKind('context.set'), {
    kind: 'context.set',
    type: 'i32',
    slot: 1,
    offset: byKind('context.set')?.offset,
  });
  assert.deepEqual(byKind('subtask.cancel'), {
    kind: 'subtask.cancel',
    async: true,
    offset: byKind('subtask.cancel')?.offset,
  });
  assert.ok((byKind('stream.read') as { options: { async: boolean } }).options.async);
  const taskReturn = byKind('task.return');
  assert.ok(taskReturn?.kind === 'task.return' && taskReturn.result === 'u32');
  // The resolver checks the stream and future immediates name stream and future types.
  const { scope } = parseComponent(bytes);
  assert.equal(scope.resources.size, 1);
});

test('opcodes older toolchains still emit decode: resource.drop async (0x07) and backpressure.set (0x08)', async () => {
  const bytes = await parse(EVERY_BUILTIN);
  const canons = canonsOf(bytes);
  const patched = Uint8Array.from(bytes);
  const drop = canons.find((c) => c.kind === 'resource.drop');
  const inc = canons.find((c) => c.kind === 'backpressure.inc');
  assert.ok(drop && inc);
  patched[drop.offset] = 0x07;
  patched[inc.offset] = 0x08;
  const after = canonsOf(patched);
  assert.deepEqual(
    after.find((c) => c.kind === 'resource.drop'),
    { kind: 'resource.drop', resource: 0, async: true, offset: drop.offset },
  );
  assert.ok(after.some((c) => c.kind === 'backpressure.set'));
});
