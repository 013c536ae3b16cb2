/**
 * What making a guest interruptible costs in pure compute: each kernel of bench/compute/kernels.wasm
 * run as built and as instrumented by makeInterruptible (src/engine/interrupt/instrument.ts), side
 * by side in one process. Both instances must return the same checksum on every run. After warm-up
 * runs (which also let V8 tier both up to its optimising compiler), each round runs the two once,
 * alternating which goes first; the ratio is of the medians. fib (naive recursion: a check on every
 * call) is the worst case and stays out of the geometric mean. Progress goes to stderr, the table (or
 * with --json, the raw numbers) to stdout.
 *
 *   node bench/interrupt-overhead.ts [--rounds 7] [--warmup 2] [--only sha256,fib] [--json]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type KernelInstance, loadKernels } from './compute/instances.ts';
import { type KernelResult, machine, type OverheadResults, summarise, toMarkdown } from './compute/report.ts';
import { stats } from './stats.ts';

const WASM = join(dirname(fileURLToPath(import.meta.url)), 'compute/kernels.wasm');

interface KernelSpec {
  name: string;
  /** The export's argument: 0.3–0.5 s a run, plain, on the 2-core AMD EPYC (Zen 4) VM it was sized on. */
  arg: number;
  what: string;
  worstCase?: boolean;
}

const KERNELS: KernelSpec[] = [
  { name: 'sha256', arg: 20, what: 'SHA-256 of a 4 MiB buffer, 20 passes' },
  { name: 'sort', arg: 4_000_000, what: 'quicksort of 4M LCG ints' },
  { name: 'nbody', arg: 5_000_000, what: 'n-body, 5 bodies, 5M steps' },
  { name: 'mandelbrot', arg: 2_500, what: 'Mandelbrot set, 2500x2500, 50 iterations' },
  { name: 'json', arg: 40, what: 'tokenising 8 MiB of JSON, 40 passes' },
  { name: 'interp', arg: 8_000_000, what: 'bytecode interpreter, switch dispatch, 8M loop iterations' },
  { name: 'fib', arg: 40, what: 'naive recursive fib(40)', worstCase: true },
];

const USAGE = `usage: node bench/interrupt-overhead.ts [options]
  --rounds N     measured runs of each instance per kernel (default 7)
  --warmup N     runs of each first, not measured (default 2)
  --only LIST    ${KERNELS.map((k) => k.name).join(',')} (default all)
  --json         print the raw results as JSON instead of a table`;

const progress = (message: string) => process.stderr.write(`${message}\n`);

/** One run: its checksum (as an unsigned 32-bit number) and its wall time in microseconds. */
function timed(instance: KernelInstance, spec: KernelSpec): { checksum: number; us: number } {
  const kernel = instance.exports[spec.name];
  if (typeof kernel !== 'function') throw new Error(`kernels.wasm exports no ${spec.name}`);
  const started = performance.now();
  const checksum = kernel(spec.arg) >>> 0;
  return { checksum, us: (performance.now() - started) * 1000 };
}

function measure(
  spec: KernelSpec,
  instances: { plain: KernelInstance; instrumented: KernelInstance },
  rounds: number,
  warmup: number,
): KernelResult {
  const times = { plain: [] as number[], instrumented: [] as number[] };
  let expected: number | undefined;
  for (let round = 0; round < warmup + rounds; round++) {
    const order =
      round % 2 === 0 ? (['plain', 'instrumented'] as const) : (['instrumented', 'plain'] as const);
    for (const variant of order) {
      const { checksum, us } = timed(instances[variant], spec);
      expected ??= checksum;
      if (checksum !== expected) {
        throw new Error(`${spec.name}: ${variant} returned checksum ${checksum}, expected ${expected}`);
      }
      if (round >= warmup) times[variant].push(us);
    }
  }
  const plain = stats(times.plain);
  const instrumented = stats(times.instrumented);
  return {
    name: spec.name,
    arg: spec.arg,
    what: spec.what,
    worstCase: spec.worstCase ?? false,
    checksum: expected ?? 0,
    plain,
    instrumented,
    ratio: instrumented.p50Us / plain.p50Us,
    minRatio: instrumented.minUs / plain.minUs,
  };
}

function options() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '7' },
      warmup: { type: 'string', default: '2' },
      only: { type: 'string', default: KERNELS.map((k) => k.name).join(',') },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error('--warmup must be a non-negative integer');
  const kernels = values.only
    .split(',')
    .filter(Boolean)
    .map((name) => {
      const spec = KERNELS.find((k) => k.name === name);
      if (!spec) throw new Error(`unknown kernel ${name}; known: ${KERNELS.map((k) => k.name).join(', ')}`);
      return spec;
    });
  return { rounds, warmup, kernels, json: values.json };
}

async function main(): Promise<void> {
  const { rounds, warmup, kernels, json } = options();
  const m = machine();
  const instances = await loadKernels(WASM);
  const measured: KernelResult[] = [];
  for (const spec of kernels) {
    progress(`${spec.name}: ${spec.what}`);
    measured.push(measure(spec, instances, rounds, warmup));
  }
  const results: OverheadResults = {
    machine: m,
    module: { plain: instances.plain.bytes, instrumented: instances.instrumented.bytes },
    rounds,
    warmup,
    kernels: measured,
    summary: summarise(measured),
  };
  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : toMarkdown(results));
}

if (import.meta.main) await main();
