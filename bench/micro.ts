/**
 * Micro-benchmarks: per-instance cost of a guest, and host-call overhead. bench/run.ts runs each
 * measurement in a process of its own, so none inherits another's JIT feedback or heap. Prints JSON.
 *
 *   node bench/micro.ts --guest c=fixtures/c/hello/hello.wasm --iterations 200 [--binder jco]
 *   node bench/micro.ts --host-call 0
 */
import { parseArgs } from 'node:util';
import { type BinderName, Component } from '../src/engine/component.ts';
import { instanceImports, prepareGrants } from '../src/wasi/imports.ts';
import { emptySource, lineSink } from '../src/wasi/io/node-streams.ts';
import { exportsOf, type HostCallResult, measureHostCall } from './host-call.ts';
import { stats, type TimingStats } from './stats.ts';

export interface InstantiationResult {
  guest: string;
  binder: BinderName;
  file: string;
  /** `instantiate(instanceImports(grants, io).imports)`: what a fresh request pays. */
  instantiate: TimingStats;
  /** `reset()` right after instantiation, where the engine offers it (pays for faulting in the pages it writes). */
  reset: TimingStats | undefined;
  /** The same instance's next `reset()`: what a pooled instance pays each time it is recycled. */
  resetAgain: TimingStats | undefined;
}

export interface MicroResults {
  instantiation: InstantiationResult[];
  hostCalls: HostCallResult[];
}

async function measureInstantiation(
  guest: string,
  file: string,
  iterations: number,
  warmup: number,
  binder: BinderName,
): Promise<InstantiationResult> {
  const component = await Component.load(file, { binder });
  const grants = prepareGrants(guest, { environment: {}, files: [], allowedOutboundHosts: [] });
  const io = () => ({
    componentId: guest,
    args: [],
    stdin: emptySource(),
    stdout: lineSink(() => {}),
    stderr: lineSink(() => {}),
    log: () => {},
  });
  const instantiateUs: number[] = [];
  const resetUs: number[] = [];
  const resetAgainUs: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const started = performance.now();
    const host = instanceImports(grants, io());
    const instance = (await component.instantiate(host.imports)) as unknown;
    const elapsed = (performance.now() - started) * 1000;
    if (i >= warmup) instantiateUs.push(elapsed);
    const reset = (instance as { reset?: () => boolean }).reset;
    if (typeof reset === 'function') {
      const resetStarted = performance.now();
      reset.call(instance);
      const againStarted = performance.now();
      reset.call(instance);
      if (i >= warmup) {
        resetUs.push((againStarted - resetStarted) * 1000);
        resetAgainUs.push((performance.now() - againStarted) * 1000);
      }
    }
    exportsOf(instance);
    host.dispose();
  }
  return {
    guest,
    binder,
    file,
    instantiate: stats(instantiateUs),
    reset: resetUs.length > 0 ? stats(resetUs) : undefined,
    resetAgain: resetAgainUs.length > 0 ? stats(resetAgainUs) : undefined,
  };
}

/** One measurement per process: `--guest id=file` (instantiation) or `--host-call N`. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      guest: { type: 'string' },
      'host-call': { type: 'string' },
      iterations: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '20' },
      binder: { type: 'string', default: 'skiff' },
    },
  });
  let result: InstantiationResult | HostCallResult;
  if (values.guest) {
    const [guest = '', file = ''] = values.guest.split(/=(.*)/s);
    const binder = values.binder === 'jco' ? 'jco' : 'skiff';
    result = await measureInstantiation(
      guest,
      file,
      Number(values.iterations),
      Number(values.warmup),
      binder,
    );
  } else if (values['host-call'] !== undefined) {
    result = await measureHostCall(Number(values['host-call']));
  } else throw new Error('usage: node bench/micro.ts --guest ID=FILE | --host-call N');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.main) await main();
