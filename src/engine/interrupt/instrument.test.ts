/**
 * The load-time rewrite that makes core modules interruptible: it must keep every module's meaning
 * (same results, same memories at the same indices, same data), and a tripped deadline must stop
 * both a loop and loop-free recursion, through the real watchdog thread.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { InterruptController } from './controller.ts';
import { GuestDeadline } from './guest-deadline.ts';
import { UnsupportedInstructionError } from './instructions.ts';
import { createHostMemory, FLAG_MEMORY, HOST_MEMORY, hostMemories, makeInterruptible } from './instrument.ts';

const controller = new InterruptController();
after(() => controller.close());

type Exports = Record<string, (...args: number[]) => number>;

/** Instantiates the instrumented module the way Component.instantiate does. */
async function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}) {
  const rewritten = makeInterruptible(bytes);
  const memories: Record<string, WebAssembly.Memory> = {};
  for (const memory of hostMemories(rewritten)) memories[memory.index] = createHostMemory(memory);
  const deadline = new GuestDeadline(controller);
  const { instance } = await WebAssembly.instantiate(rewritten as Uint8Array<ArrayBuffer>, {
    ...imports,
    [HOST_MEMORY]: memories,
    [FLAG_MEMORY.module]: { [FLAG_MEMORY.name]: deadline.flagMemory },
  });
  return { instance, exports: instance.exports as unknown as Exports, deadline, memories, rewritten };
}

async function plain(bytes: Uint8Array, imports: WebAssembly.Imports = {}) {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports);
  return instance.exports as unknown as Exports;
}

const COMPUTE = `(module
  (memory (export "memory") 1 4)
  (data (i32.const 100) "\\01\\02\\03\\04")
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=100 (i32.and (local.get $i) (i32.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "pick") (param i32) (result i32)
    (block $c (block $b (block $a (br_table $a $b $c (local.get 0)))
      (return (i32.const 10))) (return (i32.const 20))) (i32.const 30))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "spin-with-params") (result i32)
    (i32.const 7) (loop $l (param i32) (result i32) (br $l)))
)`;

describe('makeInterruptible', () => {
  test('results are unchanged: loops, recursion, br_table, data segments, memory.grow', async () => {
    const bytes = await parse(COMPUTE);
    const before = await plain(bytes);
    const { exports: afterwards, rewritten } = await instantiate(bytes);
    assert.ok(WebAssembly.validate(rewritten as Uint8Array<ArrayBuffer>));
    for (const n of [0, 1, 2, 20]) assert.equal(afterwards.fib?.(n), before.fib?.(n));
    for (const n of [0, 5, 1000]) assert.equal(afterwards.sum?.(n), before.sum?.(n));
    for (const n of [0, 1, 2, 9]) assert.equal(afterwards.pick?.(n), before.pick?.(n));
    assert.equal(afterwards.grow?.(), before.grow?.());
  });

  test('a defined memory becomes a host-created import with the same limits, still exported', async () => {
    const { instance, memories } = await instantiate(await parse(COMPUTE));
    assert.deepEqual(hostMemories(makeInterruptible(await parse(COMPUTE))), [
      { index: '0', descriptor: { initial: 1, maximum: 4 } },
    ]);
    assert.equal(instance.exports.memory, memories['0']);
    assert.deepEqual([...new Uint8Array((memories['0'] as WebAssembly.Memory).buffer, 100, 4)], [1, 2, 3, 4]);
  });

  test('imported and defined memories keep their indices (multi-memory)', async () => {
    const bytes = await parse(`(module
      (import "env" "shared" (memory 1))
      (memory $own 2)
      (data (memory $own) (i32.const 8) "own")
      (func (export "read") (param i32 i32) (result i32)
        (i32.add (i32.load8_u 0 (local.get 0)) (i32.load8_u $own (local.get 1)))))`);
    const shared = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(shared.buffer)[3] = 40;
    const { exports, memories } = await instantiate(bytes, { env: { shared } });
    assert.equal(exports.read?.(3, 8), 40 + 'o'.charCodeAt(0));
    assert.equal((memories['1'] as WebAssembly.Memory).buffer.byteLength, 2 * 65536);
  });

  test('a 64-bit memory is created with the same limits', async () => {
    const bytes = await parse(`(module (memory i64 2 5)
      (func (export "size") (result i64) (memory.size))
      (func (export "peek") (param i64) (result i32) (i32.load8_u (local.get 0))))`);
    const { instance } = await instantiate(bytes);
    assert.equal((instance.exports.size as () => bigint)(), 2n);
    assert.equal((instance.exports.peek as (at: bigint) => number)(70_000n), 0);
  });

  test('a module without code or memory still links', async () => {
    const { instance } = await instantiate(await parse('(module (global (export "g") i32 (i32.const 3)))'));
    assert.equal((instance.exports.g as WebAssembly.Global).value, 3);
  });

  test('SIMD, atomics, bulk memory, reference types, exceptions and typed select decode correctly', async () => {
    const bytes = await parse(`(module
      (memory 1 1 shared)
      (table 2 funcref)
      (tag $oops (param i32))
      (func $id (param i32) (result i32) (local.get 0))
      (elem declare func $id)
      (func (export "mix") (param i32) (result i32) (local v128)
        (local.set 1 (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8)))
        (v128.store offset=16 (i32.const 0) (local.get 1))
        (i32.atomic.store (i32.const 64) (i32x4.extract_lane 2 (v128.load offset=16 (i32.const 0))))
        (memory.fill (i32.const 128) (i32.const 9) (i32.const 4))
        (memory.copy (i32.const 256) (i32.const 128) (i32.const 4))
        (table.set (i32.const 1) (ref.func $id))
        (drop (ref.is_null (table.get (i32.const 1))))
        (block $caught (result i32)
          (try_table (catch $oops $caught)
            (throw $oops (local.get 0)))
          (i32.const -1))
        (i32.atomic.load (i32.const 64))
        (i32.add)
        (i32.load8_u (i32.const 259))
        (i32.add)
        (select (result i32) (i32.const 1000) (i32.const 2000) (local.get 0))
        (i32.add)
        (call_indirect (param i32) (result i32) (i32.const 1))))`);
    const { exports } = await instantiate(bytes);
    // catch value (argument) + lane 2 (3) + filled byte (9) + select (1000 for a non-zero argument)
    assert.equal(exports.mix?.(5), 5 + 3 + 9 + 1000);
  });

  test('an instruction outside the supported proposals is refused, not guessed at', async () => {
    const bytes = await parse(`(module (type $s (struct (field i32)))
      (func (export "f") (result i32) (struct.get $s 0 (struct.new $s (i32.const 1)))))`);
    assert.throws(() => makeInterruptible(bytes), UnsupportedInstructionError);
  });
});

describe('deadlines', () => {
  test('the watchdog stops a loop that never returns, and a loop carrying values', async () => {
    const { exports, deadline } = await instantiate(await parse(COMPUTE));
    for (const name of ['spin', 'spin-with-params']) {
      deadline.arm(100);
      const started = performance.now();
      assert.throws(() => exports[name]?.(), /unreachable/);
      const took = performance.now() - started;
      assert.ok(deadline.expired);
      deadline.disarm();
      assert.ok(took >= 95 && took < 2000, `${name} stopped after ${took} ms`);
    }
  });

  test('the watchdog stops loop-free recursion (the check at function entry)', async () => {
    const { exports, deadline } = await instantiate(await parse(COMPUTE));
    deadline.arm(100);
    assert.throws(() => exports.fib?.(60), /unreachable/);
    assert.ok(deadline.expired);
    deadline.disarm();
  });

  test('the watchdog stops endless chains of calls without loops: mutual tail calls, direct and indirect', async () => {
    const { exports, deadline } = await instantiate(
      await parse(`(module
        (table 1 funcref)
        (elem (i32.const 0) $ping-indirect)
        (func $ping (export "ping") (return_call $pong))
        (func $pong (return_call $ping))
        (func $ping-indirect (export "ping-indirect") (return_call_indirect (i32.const 0))))`),
    );
    for (const name of ['ping', 'ping-indirect']) {
      deadline.arm(100);
      assert.throws(() => exports[name]?.(), /unreachable/, name);
      deadline.disarm();
    }
  });

  test('an armed instance runs normally before its deadline, and a re-armed one is not stopped by the old ticket', async () => {
    const { exports, deadline } = await instantiate(await parse(COMPUTE));
    deadline.arm(60_000);
    assert.equal(exports.fib?.(20), 6765);
    deadline.interrupt(); // trips the current ticket…
    assert.ok(deadline.expired);
    deadline.disarm();
    deadline.arm(60_000); // …a new ticket is not tripped by the old write
    assert.ok(!deadline.expired);
    assert.equal(exports.sum?.(1000), 2500);
    deadline.disarm();
  });

  test('tripping one instance leaves another on the same thread running', async () => {
    const first = await instantiate(await parse(COMPUTE));
    const second = await instantiate(await parse(COMPUTE));
    first.deadline.arm(60_000);
    second.deadline.arm(60_000);
    first.deadline.interrupt();
    assert.throws(() => first.exports.sum?.(10), /unreachable/);
    assert.equal(second.exports.sum?.(10), 23);
    first.deadline.disarm();
    second.deadline.disarm();
  });
});
