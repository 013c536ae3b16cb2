/**
 * What sampling a guest with V8's CPU profiler (src/observability/profile) costs it: requests per
 * second of a busy Rust guest (`hostile`, `/fib?n=N`, in-process through the embedding API) in
 * windows without a profile and with one, at each sampling interval. Windows alternate (off, on
 * at each interval, off, …) so that drift in a shared machine's speed falls on both; the ratio is
 * of the medians. Apart from that steady cost: the one-off cost of starting and stopping a profile
 * (V8 logs every existing code object at start, stalling the thread), and of rendering it.
 * Progress to stderr, the table to stdout.
 *
 *   node bench/profile-overhead.ts [--rounds 5] [--seconds 2] [--n 25] [--intervals 1000,250,100]
 */
import { parseArgs } from 'node:util';
import { loadApp } from '../src/embed/index.ts';
import { flameGraphHtml, foldedStacks, profileGuests } from '../src/observability/profile/index.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    n: { type: 'string', default: '25' },
    intervals: { type: 'string', default: '1000,250,100' },
  },
});
const rounds = Number(values.rounds);
const windowMs = Number(values.seconds) * 1000;
const intervals = values.intervals.split(',').map(Number);

/** The upper median: a value that was measured. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const silent = { info() {}, warn() {}, error() {}, guest() {}, trap() {} };
const app = await loadApp('fixtures/rust/hostile/hostile.wasm', { log: silent });
const path = `/fib?n=${values.n}`;

/** Keeps the guest busy, one request after another, counting answers. */
function busyGuest() {
  let stop = false;
  let answered = 0;
  const load = (async () => {
    while (!stop) {
      await (await app.fetch(path)).arrayBuffer();
      answered++;
    }
  })();
  return {
    answered: () => answered,
    async stop() {
      stop = true;
      await load;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Requests per second over `windowMs`, once the profile (if any) has been running for SETTLE_MS:
 * the steady cost of sampling, without the one-off stall of starting the profiler (timed apart).
 */
const SETTLE_MS = 500;
/**
 * Requests per second of wall time, and per second of this process's CPU time (the sampler
 * thread's included): the second is what sampling costs even when other processes compete for
 * the cores and blur the first.
 */
interface Rate {
  wall: number;
  cpu: number;
}
async function throughput(intervalUs?: number): Promise<Rate> {
  const guest = busyGuest();
  const profile =
    intervalUs === undefined
      ? undefined
      : profileGuests({ durationMs: SETTLE_MS + windowMs + 200, intervalUs, component: 'hostile' });
  await sleep(SETTLE_MS);
  const before = guest.answered();
  const started = performance.now();
  const cpu = process.cpuUsage();
  await sleep(windowMs);
  const answered = guest.answered() - before;
  const { user, system } = process.cpuUsage(cpu);
  const rate = {
    wall: (answered * 1000) / (performance.now() - started),
    cpu: (answered * 1e6) / (user + system),
  };
  await profile;
  await guest.stop();
  return rate;
}

await throughput(); // warm-up: V8 tiers the guest up
const off: Rate[] = [];
const on = new Map<number, Rate[]>(intervals.map((i) => [i, []]));
for (let round = 0; round < rounds; round++) {
  off.push(await throughput());
  for (const intervalUs of intervals) on.get(intervalUs)?.push(await throughput(intervalUs));
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}

/** The fixed cost: a profile of 1 ms, start to GuestProfile, with the guest busy meanwhile. */
const fixedMs: number[] = [];
const renderMs: number[] = [];
for (let i = 0; i < rounds; i++) {
  const guest = busyGuest();
  await sleep(200);
  const started = performance.now();
  const profile = await profileGuests({ durationMs: 1, component: 'hostile' });
  fixedMs.push(performance.now() - started - 1);
  await guest.stop();
  const rendering = performance.now();
  flameGraphHtml(profile);
  foldedStacks(profile);
  renderMs.push(performance.now() - rendering);
}
await app.close();

const wall = (rates: Rate[]) => median(rates.map((r) => r.wall));
const perCpu = (rates: Rate[]) => median(rates.map((r) => r.cpu));
console.log(
  `| sampling | req/s (median of ${rounds} windows of ${windowMs} ms) | vs. off | req per CPU-second | vs. off |`,
);
console.log('| --- | --- | --- | --- | --- |');
console.log(`| off | ${wall(off).toFixed(0)} | 1.00 | ${perCpu(off).toFixed(0)} | 1.00 |`);
for (const [intervalUs, rates] of on) {
  const [w, c] = [wall(rates), perCpu(rates)];
  console.log(
    `| every ${intervalUs} µs | ${w.toFixed(0)} | ${(w / wall(off)).toFixed(3)} | ${c.toFixed(0)} | ${(c / perCpu(off)).toFixed(3)} |`,
  );
}
console.log(
  `\nstarting and stopping a profile (1 ms of sampling): ${median(fixedMs).toFixed(0)} ms (median)`,
);
console.log(`its flame graph and folded stacks: ${median(renderMs).toFixed(1)} ms (median)`);
