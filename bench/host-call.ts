/**
 * Host-call overhead: a component built here from WAT text whose export `spin(n)` calls the
 * trivial import `wasi:clocks/monotonic-clock#now` n times in a loop. No fixture does that, and a
 * loop inside the guest is the only way to time one guest→host call without timing the
 * host→guest entry with it. The same loop as a bare core module gives V8's own floor.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { type BinderName, Component } from '../src/engine/component.ts';
import { monotonicNowImports } from '../src/wasi/clocks.ts';
import { instanceImports, prepareGrants } from '../src/wasi/imports.ts';
import { emptySource, lineSink } from '../src/wasi/io/node-streams.ts';
import { HOST_CALL_PATHS } from './host-call-paths.ts';

const SPIN_CORE = `
    (import "clock" "now" (func $now (result i64)))
    (func (export "spin") (param $n i32) (result i64)
      (local $acc i64)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (call $now)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
      (local.get $acc))`;

const SPIN_COMPONENT = `(component
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock (export "now" (func (result u64)))))
  (core module $spin ${SPIN_CORE})
  (core func $now (canon lower (func $clock "now")))
  (core instance $clock-core (export "now" (func $now)))
  (core instance $main (instantiate $spin (with "clock" (instance $clock-core))))
  (func $spin (param "n" u32) (result u64) (canon lift (core func $main "spin")))
  (export "spin" (func $spin))
)`;

export interface HostCallResult {
  /** What was measured, e.g. "Skiff glue, Skiff's now()". */
  path: string;
  calls: number;
  batches: number;
  medianNs: number;
  minNs: number;
}

type Spin = (n: number) => bigint | Promise<bigint>;

/** Median and minimum ns per call over `batches` loops of a size that takes ~200 ms each. */
async function timeSpin(path: string, spin: Spin, batches = 7): Promise<HostCallResult> {
  const probe = 5000;
  let started = process.hrtime.bigint();
  await spin(probe);
  await spin(probe);
  const perCall = Number(process.hrtime.bigint() - started) / (2 * probe);
  const calls = Math.max(1000, Math.min(20_000_000, Math.round(3e8 / Math.max(perCall, 1))));
  await spin(calls); // warm-up at full size, so the JIT has seen the loop
  const samples: number[] = [];
  for (let i = 0; i < batches; i++) {
    started = process.hrtime.bigint();
    await spin(calls);
    samples.push(Number(process.hrtime.bigint() - started) / calls);
  }
  samples.sort((a, b) => a - b);
  return { path, calls, batches, medianNs: samples[batches >> 1] as number, minNs: samples[0] as number };
}

/** The exports object, whether `instantiate` returns it directly or wrapped as `{ exports, reset }`. */
export function exportsOf(instance: unknown): Record<string, unknown> {
  const wrapped = instance as { exports?: unknown; reset?: unknown };
  return typeof wrapped.reset === 'function' && wrapped.exports
    ? (wrapped.exports as Record<string, unknown>)
    : (instance as Record<string, unknown>);
}

async function skiffSpin(stubNow: boolean, binder: BinderName = 'skiff'): Promise<Spin> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-'));
  try {
    const file = join(dir, 'spin.wasm');
    await writeFile(file, await parse(SPIN_COMPONENT));
    const component = await Component.load(file, { cacheDir: join(dir, 'cache'), binder });
    const grants = prepareGrants('spin', { environment: {}, files: [], allowedOutboundHosts: [] });
    const host = instanceImports(grants, {
      componentId: 'spin',
      args: [],
      stdin: emptySource(),
      stdout: lineSink(() => {}),
      stderr: lineSink(() => {}),
      log: () => {},
    });
    const imports = stubNow
      ? {
          ...host.imports,
          'wasi:clocks/monotonic-clock': { ...host.imports['wasi:clocks/monotonic-clock'], now: () => 0n },
        }
      : host.imports;
    return exportsOf(await component.instantiate(imports)).spin as Spin;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rawSpin(now: () => bigint): Promise<Spin> {
  const core = new WebAssembly.Module(new Uint8Array(await parse(`(module ${SPIN_CORE})`)));
  return new WebAssembly.Instance(core, { clock: { now } }).exports.spin as unknown as Spin;
}

/** Times one of HOST_CALL_PATHS (by index). */
export async function measureHostCall(index: number): Promise<HostCallResult> {
  const path = HOST_CALL_PATHS[index];
  if (path === undefined) throw new Error(`no host-call path ${index}`);
  const spin = [
    () => skiffSpin(false),
    () => skiffSpin(true),
    () => skiffSpin(false, 'jco'),
    () => skiffSpin(true, 'jco'),
    () => rawSpin(monotonicNowImports.now),
    () => rawSpin(() => 0n),
  ][index] as () => Promise<Spin>;
  return timeSpin(path, await spin());
}
