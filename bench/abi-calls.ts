/**
 * Microbenchmark of calls across the binder (not a test; run by hand):
 *   npm run bench:abi
 * Guest → host: a wasm loop calling an import N times, through the generated lowered import and
 * through a raw JS import taking the core values. Host → guest: JS calling a core export through
 * the generated lifted export and directly.
 */
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { liftExport, lowerImport } from '../src/engine/binding/canonical-abi/compile.ts';
import {
  ComponentInstanceState,
  type CoreFunction,
  LiftLowerContext,
} from '../src/engine/binding/canonical-abi/context.ts';
import { GuestMemory } from '../src/engine/binding/canonical-abi/guest-memory.ts';
import { type FunctionType, primitive } from '../src/engine/binding/value-types.ts';

const WAT = `(module
  (import "host" "u64" (func $u64 (param i64) (result i64)))
  (import "host" "bytes" (func $bytes (param i32 i32 i32)))
  (import "host" "nothing" (func $nothing))
  (import "host" "takeString" (func $takeString (param i32 i32)))
  (import "host" "giveBytes" (func $giveBytes (param i32)))
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 1024))
  (data (i32.const 16) "hello, world")
  (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1))) (i32.sub (i32.const 0) (local.get 2))))
    (global.set $bump (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "loopU64") (param $n i32) (result i64) (local $acc i64)
    (loop $l
      (local.set $acc (call $u64 (local.get $acc)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
  (func (export "loopBytes") (param $n i32)
    (loop $l
      (global.set $bump (i32.const 1024))
      (call $bytes (i32.const 16) (i32.const 12) (i32.const 64))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "loopTakeString") (param $n i32)
    (loop $l (call $takeString (i32.const 16) (i32.const 12)) (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "loopGiveBytes") (param $n i32)
    (loop $l
      (global.set $bump (i32.const 1024))
      (call $giveBytes (i32.const 64))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "loopNothing") (param $n i32)
    (loop $l (call $nothing) (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "id64") (param i64) (result i64) (local.get 0))
)`;

const u64: FunctionType = {
  params: [{ name: 'x', type: primitive('u64') }],
  result: primitive('u64'),
  async: false,
};
const bytesFn: FunctionType = {
  params: [{ name: 's', type: primitive('string') }],
  result: { kind: 'list', element: primitive('u8') },
  async: false,
};
const nothing: FunctionType = { params: [], result: undefined, async: false };
const takeString: FunctionType = {
  params: [{ name: 's', type: primitive('string') }],
  result: undefined,
  async: false,
};
const giveBytes: FunctionType = {
  params: [],
  result: { kind: 'list', element: primitive('u8') },
  async: false,
};

const module = new WebAssembly.Module((await parse(WAT)) as Uint8Array<ArrayBuffer>);
const answer = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const hostU64 = (x: bigint) => x;
const hostBytes = (_s: string) => answer;
const hostNothing = () => undefined;

function instantiate(generated: boolean) {
  const state = new ComponentInstanceState();
  const memory = new GuestMemory();
  const cx = new LiftLowerContext(state, { memory });
  const host = generated
    ? {
        u64: lowerImport(u64, { cx, callee: hostU64, name: 'u64' }),
        bytes: lowerImport(bytesFn, { cx, callee: hostBytes, name: 'bytes' }),
        nothing: lowerImport(nothing, { cx, callee: hostNothing, name: 'nothing' }),
        takeString: lowerImport(takeString, { cx, callee: (_s: string) => undefined, name: 'takeString' }),
        giveBytes: lowerImport(giveBytes, { cx, callee: () => answer, name: 'giveBytes' }),
      }
    : {
        u64: hostU64,
        bytes: (_p: number, _n: number, _r: number) => undefined,
        nothing: hostNothing,
        takeString: () => undefined,
        giveBytes: () => undefined,
      };
  const instance = new WebAssembly.Instance(module, { host });
  memory.attach(instance.exports.memory as WebAssembly.Memory);
  cx.realloc = instance.exports.realloc as CoreFunction;
  return { instance, cx };
}

/** The best of 7 runs after 2 warm-ups: other load on the machine only ever adds time. */
function time(label: string, n: number, run: () => void): number {
  run();
  run();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n);
  }
  console.log(`${label.padEnd(58)} ${best.toFixed(1).padStart(7)} ns/call`);
  return best;
}

const N = 1_000_000;
const raw = instantiate(false).instance.exports;
const gen = instantiate(true);
const g = gen.instance.exports;
const loop = (f: WebAssembly.ExportValue | undefined) => () => (f as CoreFunction)(N);

console.log(`node ${process.version}, ${N} calls per run`);
time('guest → host () → () raw import', N, loop(raw.loopNothing));
time('guest → host () → () generated', N, loop(g.loopNothing));
time('guest → host (u64) → u64 raw import', N, loop(raw.loopU64));
time('guest → host (u64) → u64 generated', N, loop(g.loopU64));
time('guest → host (string) → list<u8> raw import (no work)', N, loop(raw.loopBytes));
time('guest → host (string) → list<u8> generated', N, loop(g.loopBytes));
time('  of which (string) → () generated, 12 ASCII bytes', N, loop(g.loopTakeString));
time('  of which () → list<u8> generated, 12 bytes', N, loop(g.loopGiveBytes));

const id64 = g.id64 as CoreFunction;
const lifted = liftExport(u64, { cx: gen.cx, callee: id64, name: 'id64' });
time('host → guest (u64) → u64 direct core call', N, () => {
  let x = 1n;
  for (let i = 0; i < N; i++) x = id64(x);
});
time('host → guest (u64) → u64 generated', N, () => {
  let x = 1n;
  for (let i = 0; i < N; i++) x = lifted(x);
});
time('plain JS call of the host function (u64)', N, () => {
  let x = 1n;
  for (let i = 0; i < N; i++) x = hostU64(x);
});
