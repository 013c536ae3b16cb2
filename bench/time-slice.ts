/**
 * What the time slice (the quantum) buys and costs, side by side in one process, on the compute
 * kernels of bench/compute run as Skiff runs a guest (bench/compute/sliced.ts):
 * - cost: one guest sorting 4M ints alone, sliced at each quantum vs. unsliced (`off`): the extra
 *   wall time, the yields it made, and so the cost of one yield;
 * - neighbours: two guests sorting at once while a 1 ms interval timer runs, as a request waiting
 *   on the same worker would: how long the timer waited between its turns (p50, p99, max).
 * Progress goes to stderr, a markdown table to stdout.
 *
 *   node bench/time-slice.ts [--rounds 5] [--quanta off,1,2,5]
 */
import { parseArgs } from 'node:util';
import { interruptController } from '../src/engine/interrupt/controller.ts';
import { sliceCounts } from '../src/engine/interrupt/time-slice.ts';
import { machine } from './compute/report.ts';
import { slicedKernels } from './compute/sliced.ts';
import { stats } from './stats.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, quanta: { type: 'string', default: 'off,1,2,5' } },
});
const rounds = Number(values.rounds);
const quanta = (values.quanta as string).split(',').map((q) => (q === 'off' ? 0 : Number(q)));
const SORT = 4_000_000;
const progress = (m: string) => process.stderr.write(`${m}\n`);

const controller = interruptController();
const kernels = await slicedKernels();
const expected = (kernels.plain.sort?.(SORT) ?? 0) >>> 0;
const alone = kernels.guest();
const pair = [kernels.guest(), kernels.guest()] as const;

async function checked(run: Promise<number>): Promise<void> {
  const checksum = await run;
  if (checksum !== expected) throw new Error(`sort returned ${checksum}, expected ${expected}`);
}

/** One guest alone: wall ms and yields. */
async function soloRun(): Promise<{ ms: number; yields: number }> {
  const yields = sliceCounts.yields;
  const started = performance.now();
  await checked(alone.run('sort', SORT));
  return { ms: performance.now() - started, yields: sliceCounts.yields - yields };
}

/** Two guests at once and a 1 ms timer: the timer's gaps in µs. */
async function neighbourGaps(): Promise<number[]> {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push((now - last) * 1000);
    last = now;
  }, 1);
  await Promise.all(pair.map((g) => checked(g.run('sort', SORT))));
  // Unsliced, the timer's first turn comes only now.
  gaps.push((performance.now() - last) * 1000);
  clearInterval(timer);
  return gaps;
}

// Warm up: tiers up the code and starts the watchdog.
controller.setQuantum(2);
for (let i = 0; i < 3; i++) await soloRun();

const solo = new Map<number, Array<{ ms: number; yields: number }>>(quanta.map((q) => [q, []]));
const gaps = new Map<number, number[]>(quanta.map((q) => [q, []]));
for (let round = 0; round < rounds; round++) {
  // Alternating the order, so drift in the machine's speed falls on every quantum alike.
  const order = round % 2 === 0 ? quanta : [...quanta].reverse();
  for (const q of order) {
    controller.setQuantum(q);
    solo.get(q)?.push(await soloRun());
    gaps.get(q)?.push(...(await neighbourGaps()));
  }
  progress(`round ${round + 1}/${rounds} done`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const offMs = median((solo.get(0) ?? []).map((r) => r.ms));
const m = machine();
const lines = [
  `${m.cpu}, ${m.cores} cores, Node ${m.node} (V8 ${m.v8}), load ${m.loadAverage.join(' ')}; ${rounds} rounds, sort of ${SORT} ints`,
  '',
  '| quantum | one guest alone (median ms) | yields | cost vs. off | per yield | 1 ms timer beside two guests: gap p50 / p99 / max (ms) |',
  '|---|--:|--:|--:|--:|--:|',
];
for (const q of quanta) {
  const runs = solo.get(q) ?? [];
  const ms = median(runs.map((r) => r.ms));
  const yields = median(runs.map((r) => r.yields));
  const g = stats(gaps.get(q) ?? []);
  const extra = ms - offMs;
  const perYield = q === 0 || yields === 0 ? '—' : `${((extra * 1000) / yields).toFixed(1)} µs`;
  lines.push(
    `| ${q === 0 ? 'off' : `${q} ms`} | ${ms.toFixed(1)} | ${yields} | ${q === 0 ? '—' : `${((extra / offMs) * 100).toFixed(2)}%`} | ${perYield} | ${(g.p50Us / 1000).toFixed(1)} / ${(g.p99Us / 1000).toFixed(1)} / ${(g.maxUs / 1000).toFixed(1)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
await controller.close();
