/**
 * The mixed-load benchmark of issue #11: does a guest that computes delay its neighbours? One
 * server at a time serves `fixtures/rust/hostile` to a fixed number of connections sending a mix
 * of requests — by default 10% `/fib?n=34` (about 60 ms of guest CPU here) and 90% `/ok` — and the
 * latency of each path is reported on its own: Skiff with time slicing (its default), Skiff with
 * `--time-slice off`, and `wasmtime serve` on the same component and the same mix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WASMTIME_BIN } from '../test/support/install-wasmtime.ts';
import { aloneUs, type MixClass, type MixLoad, type MixResult, runMix } from './mixed-client.ts';
import { formatUs } from './report.ts';
import { measureServer, processTree, type ServerCommand } from './server-process.ts';

export const MIXED_GUEST = 'fixtures/rust/hostile/hostile.wasm';
/** Skiff's workers in every row: this machine's other Skiff "all cores" rows have 2 as well. */
export const MIXED_WORKERS = 2;
/** fib(34) is ~60 ms of guest CPU on the 2-core Xeon of BENCHMARKS.md (fib(33) ~37 ms): the "50 ms route" of issue #11. */
export const DEFAULT_FIB_N = 34;
/** Serial requests per path on the idle server, before the load: what one request costs alone. */
const ALONE_REQUESTS = 10;
const SEED = 11;

export interface MixedOptions {
  connections: number;
  warmupS: number;
  durationS: number;
  timeoutS: number;
  fibN: number;
  /** Share of requests to `/fib`, 0–1. */
  fibShare: number;
  /** When > 0, this many connections send only `/fib` and the others only `/ok` (fibShare is then unused). */
  fibConnections: number;
}

interface MixedTarget {
  id: string;
  label: string;
  command(root: string): ServerCommand;
}

const skiff = (id: string, label: string, extra: string[]): MixedTarget => ({
  id,
  label,
  command: (root) => ({
    command: process.execPath,
    args: [
      join(root, 'bin/skiff.js'),
      'up',
      '--component',
      join(root, MIXED_GUEST),
      '--listen',
      '127.0.0.1:0',
      '--workers',
      String(MIXED_WORKERS),
      ...extra,
    ],
    cwd: root,
    ready: /Serving (http:\/\/\S+)/,
    startTimeoutMs: 60_000,
  }),
});

export const MIXED_TARGETS: MixedTarget[] = [
  skiff('skiff-sliced', `Skiff, time slicing (default), ${MIXED_WORKERS} workers`, []),
  skiff('skiff-unsliced', `Skiff, \`--time-slice off\`, ${MIXED_WORKERS} workers`, ['--time-slice', 'off']),
  {
    id: 'wasmtime',
    label: '`wasmtime serve` (instance per request)',
    command: (root) => ({
      command: existsSync(WASMTIME_BIN) ? WASMTIME_BIN : 'wasmtime',
      args: ['serve', '-Scli', '--addr', '127.0.0.1:0', join(root, MIXED_GUEST)],
      cwd: root,
      ready: /Serving HTTP on (http:\/\/[\d.]+:\d+)/,
      startTimeoutMs: 60_000,
    }),
  },
];

export interface MixedRow {
  target: string;
  label: string;
  /** Median of serial requests per path on the idle server, µs, by class name. */
  aloneUs?: Record<string, number | undefined>;
  result?: MixResult;
  peakRssKiB?: number;
  /**
   * Cores' worth of CPU used during the run by everything but the server's process tree and this
   * harness (other work on a shared machine); undefined without /proc.
   */
  otherCores?: number;
  error?: string;
}

export interface MixedSection {
  guest: string;
  workers: number;
  options: MixedOptions;
  mix: MixClass[];
  rows: MixedRow[];
}

function fib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, (a + b) & 0xffff_ffff_ffff_ffffn];
  return a;
}

// USER_HZ: the unit of /proc/stat and /proc/PID/stat times on Linux.
const TICKS_PER_S = 100;

function readTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name: state is field 3, utime and stime fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU ticks used so far: by the whole machine (all but idle and iowait), the server's tree, and this process. */
function cpuTicks(serverPid: number): { busy: number; server: number; self: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    const server = processTree(serverPid).reduce((sum, pid) => sum + readTicks(pid), 0);
    return { busy: user + nice + system + irq + softirq + steal, server, self: readTicks(process.pid) };
  } catch {
    return undefined;
  }
}

export function mixOf(opts: MixedOptions): MixClass[] {
  return [
    { name: '/ok', path: '/ok', share: 1 - opts.fibShare, body: 'ok\n' },
    {
      name: '/fib',
      path: `/fib?n=${opts.fibN}`,
      share: opts.fibShare,
      body: `fib(${opts.fibN}) = ${fib(opts.fibN)}\n`,
    },
  ];
}

export async function benchMixed(
  root: string,
  logDir: string,
  opts: MixedOptions,
  targetIds: string[],
  progress: (message: string) => void,
): Promise<MixedSection> {
  const mix = mixOf(opts);
  const load: MixLoad = {
    connections: opts.connections,
    warmupS: opts.warmupS,
    durationS: opts.durationS,
    timeoutS: opts.timeoutS,
    seed: SEED,
    split:
      opts.fibConnections > 0 ? [opts.connections - opts.fibConnections, opts.fibConnections] : undefined,
  };
  const rows: MixedRow[] = [];
  for (const target of MIXED_TARGETS.filter((t) => targetIds.includes(t.id))) {
    progress(`mixed ${target.label} …`);
    const row: MixedRow = { target: target.id, label: target.label };
    await measureServer(target.command(root), logDir, `mixed-${target.id}`, row, async (server) => {
      row.aloneUs = {};
      for (const c of mix) row.aloneUs[c.name] = await aloneUs(server.url, c, ALONE_REQUESTS);
      const before = cpuTicks(server.pid);
      const started = performance.now();
      row.result = await runMix(server.url, mix, load);
      const after = cpuTicks(server.pid);
      if (before && after) {
        const others = after.busy - before.busy - (after.server - before.server) - (after.self - before.self);
        row.otherCores = Math.max(0, others / TICKS_PER_S / ((performance.now() - started) / 1000));
      }
      row.peakRssKiB = server.memoryKiB('VmHWM');
    });
    rows.push(row);
    const ok = row.result?.classes[0];
    progress(
      ok
        ? `      /ok ${Math.round(ok.okPerSec)} req/s, p50 ${formatUs(ok.latency?.p50Us)}, p99 ${formatUs(ok.latency?.p99Us)}`
        : `      not run: ${row.error?.split('\n')[0]}`,
    );
  }
  return { guest: MIXED_GUEST, workers: MIXED_WORKERS, options: opts, mix, rows };
}

const dash = '—';
const cell = (text: string) => text.split('\n')[0]?.slice(0, 110).replace(/\|/g, '\\|') ?? '';

/** Everything that is not a correct 2xx answer, e.g. `3 timeouts, 2 × 503`. */
function failures(outcomes: Record<string, number>): string {
  const parts = Object.entries(outcomes)
    .filter(([k]) => !/^2\d\d$/.test(k))
    .map(([k, n]) => (k === 'timeout' ? `${n} timeouts` : `${n} × ${k}`));
  return parts.length > 0 ? parts.join(', ') : dash;
}

const ratio = (value: number | undefined, reference: number | undefined) =>
  value !== undefined && reference ? `${(value / reference).toFixed(2)}×` : dash;

export function mixedTable(section: MixedSection): string {
  const { options: o, mix } = section;
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  const split = o.fibConnections > 0;
  const what = split
    ? `${o.fibConnections} of ${o.connections} connections \`${mix[1]?.path}\`, the others \`${mix[0]?.path}\``
    : mix.map((c) => `${percent(c.share)} \`${c.path}\``).join(', ');
  const how = split
    ? `${o.connections} connections, each sending one request after another, each keeping to one path`
    : `${o.connections} connections, each sending one request after another, paths drawn at random (seeded)`;
  const lines = [
    `### Mixed load: ${what} (\`${section.guest}\`)`,
    '',
    `${how}; ${o.durationS} s measured after a ${o.warmupS} s warm-up, ${o.timeoutS} s timeout per ` +
      `request. Skiff with ${section.workers} workers (default lifecycle, \`fresh\`); \`wasmtime serve\` ` +
      'with its defaults. "alone": the median of 10 requests sent one at a time to the idle server ' +
      'first. The × columns divide by `wasmtime serve` on the same path (for p50 and p99, lower is better).',
    '',
    '| server | path | alone | sent | req/s (2xx) | p50 | p99 | max | p50 × wasmtime | p99 × wasmtime | req/s × wasmtime | failed |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const wasmtime = section.rows.find((r) => r.target === 'wasmtime')?.result;
  const notes: string[] = [];
  const busy: string[] = [];
  for (const row of section.rows) {
    if (!row.result) {
      lines.push(`| ${row.label} | not run: ${cell(row.error ?? '')} | | | | | | | | | | |`);
      continue;
    }
    for (const [i, c] of row.result.classes.entries()) {
      const ref = wasmtime?.classes[i];
      const l = c.latency;
      lines.push(
        `| ${row.label} | \`${c.name}\` | ${formatUs(row.aloneUs?.[c.name])} | ${c.sent.toLocaleString('en-US')} | ${Math.round(c.okPerSec).toLocaleString('en-US')} | ${formatUs(l?.p50Us)} | ${formatUs(l?.p99Us)} | ${formatUs(l?.maxUs)} | ${ratio(l?.p50Us, ref?.latency?.p50Us)} | ${ratio(l?.p99Us, ref?.latency?.p99Us)} | ${ratio(c.okPerSec, ref?.okPerSec)} | ${failures(c.outcomes)}${i === 0 && row.error ? `; ${cell(row.error)}` : ''} |`,
      );
    }
    const warm = failures(row.result.warmupFailures);
    if (warm !== dash) notes.push(`${row.label}: the warm-up had ${warm}.`);
    const heavy = row.result.classes[1];
    const heavyAlone = row.aloneUs?.[heavy?.name ?? ''];
    if (heavy && heavyAlone !== undefined)
      busy.push(`${((heavy.okPerSec * heavyAlone) / 1e6).toFixed(2)} (${row.label})`);
  }
  // Cores' worth of \`/fib\` computed per second: near the core count, the server was saturated.
  if (busy.length > 0)
    notes.push(`Cores busy with \`${mix[1]?.name}\` alone (its req/s × its time alone): ${busy.join(', ')}.`);
  const delays = section.rows
    .filter((r) => r.result)
    .map((r) => `${(r.result as MixResult).clientLoopDelayP99Ms.toFixed(1)} ms`);
  const others = section.rows.filter((r) => r.otherCores !== undefined);
  if (others.length > 0)
    notes.push(
      `Other processes on the machine during each run, warm-up included (neither the server nor this client): ${others.map((r) => `${(r.otherCores as number).toFixed(2)} cores`).join(', ')}.`,
    );
  if (delays.length > 0)
    notes.push(`The client's own event-loop delay, p99 during each measured run: ${delays.join(', ')}.`);
  return [...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
