/**
 * `npm run bench:telemetry` — what Skiff's telemetry costs a request (issue #14), side by side in
 * one run: the same guest served by `skiff up --workers 1` with telemetry off (`--admin-listen
 * off`), with its default (the admin listener: metrics, dashboard stats, recent requests, lines
 * and sampled traces), and with every request's trace exported over OTLP/HTTP to a local sink;
 * plain `node:http` and `wasmtime serve` beside them for reference.
 *
 * In each round every variant of a guest gets a new process, a warm-up and a measured window, in
 * an order that rotates from round to round, so that drift in a shared machine's speed falls on
 * every variant alike.
 * Per window: req/s, p50/p99 (wrk), and the server's CPU time per request (utime + stime of its
 * process tree from /proc, threads included). Ratios are of the same round's windows, then the
 * median. Progress to stderr, Markdown to stdout, raw numbers to bench/results/telemetry.json.
 *
 *   npm run bench:telemetry -- [--rounds 5] [--seconds 5] [--connections 32] [--guests c,rust]
 *                              [--variants node,wasmtime,off,default,otlp] [--cpu-prof DIR]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { WASMTIME_BIN, WASMTIME_VERSION } from '../test/support/install-wasmtime.ts';
import { startOtlpSink } from './otlp-sink.ts';
import { formatUs } from './report.ts';
import { processTree, type RunningServer, type ServerCommand, startServer } from './server-process.ts';
import { findWrk, runWrk } from './wrk.ts';

const ROOT = join(import.meta.dirname, '..');
const SERVING = /Serving (http:\/\/\S+)/;
const GUESTS = [
  { id: 'c', label: 'C hello', file: 'fixtures/c/hello/hello.wasm', body: 'hello from c\n' },
  { id: 'rust', label: 'Rust hello', file: 'fixtures/rust/hello/hello.wasm', body: 'hello from rust\n' },
] as const;
type Guest = (typeof GUESTS)[number];
const VARIANT_IDS = ['node', 'wasmtime', 'off', 'default', 'otlp'] as const;
type VariantId = (typeof VARIANT_IDS)[number];

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    guests: { type: 'string', default: GUESTS.map((g) => g.id).join(',') },
    variants: { type: 'string', default: VARIANT_IDS.join(',') },
    'cpu-prof': { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench/results/telemetry.json') },
    help: { type: 'boolean', default: false },
  },
});
const USAGE = `usage: npm run bench:telemetry -- [options]
  --rounds N        rounds; each starts every server anew (default 5)
  --seconds S       measured seconds per server and round (default 5)
  --warmup S        seconds of load before each measured window (default 3)
  --connections N   wrk connections (default 32)
  --guests LIST     ${GUESTS.map((g) => g.id).join(',')} (default all)
  --variants LIST   ${VARIANT_IDS.join(',')} (default all)
  --cpu-prof DIR    write a V8 CPU profile of every Skiff process into DIR (node --cpu-prof)
  --out FILE        raw results (default bench/results/telemetry.json)`;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
for (const flag of ['rounds', 'seconds', 'warmup', 'connections'] as const) {
  const n = Number(values[flag]);
  if (!Number.isFinite(n) || n < (flag === 'warmup' ? 0 : 1))
    throw new Error(
      `--${flag} ${values[flag]}: expected a number${flag === 'warmup' ? '' : ' ≥ 1'}\n${USAGE}`,
    );
}
const rounds = Number(values.rounds);
const load = {
  durationS: Number(values.seconds),
  connections: Number(values.connections),
  threads: 1,
  timeoutS: 5,
};
const chosen = <T extends string>(flag: string, text: string, known: readonly T[]): T[] => {
  const items = text.split(',').filter(Boolean);
  const unknown = items.filter((i) => !known.includes(i as T));
  if (unknown.length)
    throw new Error(`--${flag}: unknown ${unknown.join(', ')} (choose from ${known.join(', ')})`);
  return items as T[];
};
const guests = GUESTS.filter((g) =>
  chosen(
    'guests',
    values.guests,
    GUESTS.map((x) => x.id),
  ).includes(g.id),
);
const variantIds = chosen('variants', values.variants, VARIANT_IDS);

// Each variant says what telemetry it has: nothing inherited from this shell may add any.
for (const name of Object.keys(process.env))
  if (name.startsWith('OTEL_') || name === 'SKIFF_LOG_FORMAT' || name === 'SKIFF_ADMIN_TOKEN')
    delete process.env[name];

interface Variant {
  id: VariantId;
  label: string;
  command(guest: Guest, otlpUrl: string): ServerCommand;
}

/** `skiff up` on one worker; `env` (through env(1), which execs: the pid stays the server's) for OTLP. */
function skiff(extra: string[], env: (otlpUrl: string) => string[] = () => []) {
  return (guest: Guest, otlpUrl: string): ServerCommand => {
    const profile = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
    const node = [process.execPath, ...profile, join(ROOT, 'bin/skiff.js')];
    const args = [
      'up',
      '--component',
      join(ROOT, guest.file),
      '--listen',
      '127.0.0.1:0',
      '--workers',
      '1',
      ...extra,
    ];
    const vars = env(otlpUrl);
    return {
      command: vars.length ? 'env' : (node[0] as string),
      args: vars.length ? [...vars, ...node, ...args] : [...node.slice(1), ...args],
      cwd: ROOT,
      ready: SERVING,
      startTimeoutMs: 60_000,
    };
  };
}

const VARIANTS: Variant[] = [
  {
    id: 'node',
    label: 'plain `node:http` (reference)',
    command: (guest) => ({
      command: process.execPath,
      args: [join(ROOT, 'bench/hello-server.ts'), '--listen', '127.0.0.1:0', '--body', guest.body],
      cwd: ROOT,
      ready: SERVING,
      startTimeoutMs: 10_000,
    }),
  },
  {
    id: 'wasmtime',
    label: '`wasmtime serve` (instance per request, all cores)',
    command: (guest) => ({
      command: existsSync(WASMTIME_BIN) ? WASMTIME_BIN : 'wasmtime',
      args: ['serve', '-Scli', '--addr', '127.0.0.1:0', join(ROOT, guest.file)],
      cwd: ROOT,
      ready: /Serving HTTP on (http:\/\/[\d.]+:\d+)/,
      startTimeoutMs: 60_000,
    }),
  },
  {
    id: 'off',
    label: 'Skiff, telemetry off (`--admin-listen off`)',
    command: skiff(['--admin-listen', 'off']),
  },
  { id: 'default', label: 'Skiff, default (admin listener on)', command: skiff([]) },
  {
    id: 'otlp',
    label: 'Skiff, default + OTLP export of every request',
    command: skiff([], (url) => [`OTEL_EXPORTER_OTLP_ENDPOINT=${url}`, 'OTEL_TRACES_SAMPLER=always_on']),
  },
];

// USER_HZ: the unit of utime and stime in /proc/PID/stat and of /proc/stat.
const TICKS_PER_S = 100;

function ticksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (which may hold spaces): utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}
const treeTicks = (pid: number) => processTree(pid).reduce((sum, p) => sum + ticksOf(p), 0);
/** Ticks the whole machine was busy (all but idle and iowait). */
function machineTicks(): number {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  return user + nice + system + irq + softirq + steal;
}

interface Window {
  round: number;
  okPerSec: number;
  requests: number;
  p50Us: number | undefined;
  p99Us: number | undefined;
  errors: number;
  /** The server's CPU time (its whole process tree) per request answered in the window. */
  cpuUsPerRequest: number;
  /** Cores used by processes outside this benchmark (not the servers, wrk or this harness). */
  otherCores: number;
}

interface Row {
  guest: string;
  variant: VariantId;
  label: string;
  windows: Window[];
  /** What the admin listener's /metrics counted, against what wrk sent (warm-up included). */
  metricsCounted?: number;
  sent: number;
  /** OTLP only: spans the sink received, and batches. */
  otlp?: { spans: number; batches: number; bytes: number; unreadable: number };
  error?: string;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function window(wrk: string, server: RunningServer, round: number): Promise<Window> {
  const before = { server: treeTicks(server.pid), machine: machineTicks(), bench: treeTicks(process.pid) };
  const started = performance.now();
  const r = await runWrk(wrk, `${server.url}/`, load);
  const seconds = (performance.now() - started) / 1000;
  const server1 = treeTicks(server.pid);
  const machine1 = machineTicks();
  const bench1 = treeTicks(process.pid);
  const ok = r.requests - r.errors.status;
  return {
    round,
    okPerSec: r.okPerSec,
    requests: r.requests,
    p50Us: r.p50Us,
    p99Us: r.p99Us,
    errors: r.errors.status + r.errors.timeout + r.errors.connect + r.errors.read + r.errors.write,
    cpuUsPerRequest: ok > 0 ? ((server1 - before.server) * 1e6) / TICKS_PER_S / ok : Number.NaN,
    otherCores: (machine1 - before.machine - (bench1 - before.bench)) / TICKS_PER_S / seconds,
  };
}

/** skiff_http_requests_total summed over its series, from the admin listener named in the server's output. */
async function countedByMetrics(logDir: string, name: string): Promise<number | undefined> {
  const admin = /^Admin (http:\/\/\S+)/m.exec(readFileSync(join(logDir, `${name}.out.log`), 'utf8'))?.[1];
  if (!admin) return undefined;
  const text = await (await fetch(`${admin}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^skiff_http_requests_total\{[^}]*\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

/**
 * Each round starts a new process of every variant (in a rotated order), warms each up and
 * measures it, then stops them all: a process's own luck (its JIT's choices, its memory layout,
 * which core it lands on) is then one round's, not the whole run's.
 */
async function benchGuest(wrk: string, logDir: string, guest: Guest): Promise<Row[]> {
  const sink = await startOtlpSink();
  const variants = VARIANTS.filter((v) => variantIds.includes(v.id));
  const rows: Row[] = variants.map((v) => ({
    guest: guest.id,
    variant: v.id,
    label: v.label,
    windows: [],
    sent: 0,
  }));
  const rowOf = (id: VariantId) => rows.find((r) => r.variant === id) as Row;
  try {
    for (let round = 0; round < rounds; round++) {
      // Each round starts one further along, so no variant always follows the same one.
      const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
      const servers = new Map<VariantId, RunningServer>();
      try {
        for (const v of order) {
          try {
            const name = `${guest.id}-${v.id}-${round + 1}`;
            servers.set(v.id, await startServer(v.command(guest, sink.url), logDir, name));
          } catch (e) {
            rowOf(v.id).error = e instanceof Error ? e.message : String(e);
          }
        }
        for (const v of order) {
          const server = servers.get(v.id);
          if (!server) continue;
          const row = rowOf(v.id);
          try {
            const warmupS = Number(values.warmup);
            if (warmupS > 0)
              row.sent += (await runWrk(wrk, `${server.url}/`, { ...load, durationS: warmupS })).requests;
            const w = await window(wrk, server, round);
            row.windows.push(w);
            row.sent += w.requests;
          } catch (e) {
            row.error = `round ${round + 1}: ${e instanceof Error ? e.message : String(e)}`;
          }
          const exit = server.exitReason();
          if (exit) row.error = `the server stopped: ${exit}`;
          if (v.id === 'default' || v.id === 'otlp') {
            const counted = await countedByMetrics(logDir, `${guest.id}-${v.id}-${round + 1}`).catch(
              () => undefined,
            );
            row.metricsCounted = (row.metricsCounted ?? 0) + (counted ?? Number.NaN);
          }
        }
      } finally {
        // Stopping exports the spans still queued; the sink has them all before the next round.
        for (const server of servers.values()) await server.stop();
      }
      progress(
        `${guest.id}: round ${round + 1}/${rounds}: ${variants.map((v) => `${v.id} ${Math.round(rowOf(v.id).windows.at(-1)?.okPerSec ?? 0)}/s ${(rowOf(v.id).windows.at(-1)?.cpuUsPerRequest ?? 0).toFixed(0)} µs`).join(', ')}`,
      );
    }
    if (variantIds.includes('otlp')) rowOf('otlp').otlp = sink.counts();
  } finally {
    await sink.close();
  }
  return rows;
}

/** The upper median: a value that was measured. */
const median = (xs: number[]) => {
  const finite = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return finite[Math.floor(finite.length / 2)] ?? Number.NaN;
};
const rate = (r: number) => (Number.isFinite(r) ? Math.round(r).toLocaleString('en-US') : '—');
const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

/** The median over rounds of `of(row's window) / of(base's window of the same round)`. */
function pairedRatio(row: Row, base: Row | undefined, of: (w: Window) => number): number {
  if (!base) return Number.NaN;
  return median(
    row.windows.map((w) => {
      const b = base.windows.find((x) => x.round === w.round);
      return b ? of(w) / of(b) : Number.NaN;
    }),
  );
}

/** The median over rounds of `of(row's window) − of(base's window of the same round)`. */
function pairedDifference(row: Row, base: Row | undefined, of: (w: Window) => number): number {
  if (!base) return Number.NaN;
  return median(
    row.windows.map((w) => {
      const b = base.windows.find((x) => x.round === w.round);
      return b ? of(w) - of(b) : Number.NaN;
    }),
  );
}
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}` : '—');

function table(guest: Guest, rows: Row[]): string {
  const off = rows.find((r) => r.variant === 'off' && r.windows.length);
  const node = rows.find((r) => r.variant === 'node' && r.windows.length);
  const lines = [
    `#### ${guest.label} — \`${guest.file}\``,
    '',
    '| server | req/s (median) | min–max | p50 | p99 | CPU µs/req | CPU µs/req − off | req/s × off | CPU/req × off | req/s × node:http | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    if (!row.windows.length) {
      lines.push(`| ${row.label} | — | — | — | — | — | — | — | — | — | ${row.error ?? 'not run'} |`);
      continue;
    }
    const ok = row.windows.map((w) => w.okPerSec);
    const skiffRow = ['off', 'default', 'otlp'].includes(row.variant);
    const errors =
      row.error ??
      (row.windows.some((w) => w.errors) ? `${row.windows.reduce((s, w) => s + w.errors, 0)}` : '—');
    lines.push(
      `| ${row.label} | ${rate(median(ok))} | ${rate(Math.min(...ok))}–${rate(Math.max(...ok))} | ${formatUs(median(row.windows.map((w) => w.p50Us ?? Number.NaN)))} | ${formatUs(median(row.windows.map((w) => w.p99Us ?? Number.NaN)))} | ${median(row.windows.map((w) => w.cpuUsPerRequest)).toFixed(1)} | ${skiffRow && row !== off ? signed(pairedDifference(row, off, (w) => w.cpuUsPerRequest)) : '—'} | ${skiffRow ? times(pairedRatio(row, off, (w) => w.okPerSec)) : '—'} | ${skiffRow ? times(pairedRatio(row, off, (w) => w.cpuUsPerRequest)) : '—'} | ${times(pairedRatio(row, node, (w) => w.okPerSec))} | ${errors.replace(/\|/g, '\\|').split('\n')[0]} |`,
    );
  }
  const notes: string[] = [];
  for (const row of rows) {
    if (row.metricsCounted !== undefined)
      notes.push(
        `${row.variant}: /metrics counted ${row.metricsCounted.toLocaleString('en-US')} requests, wrk completed ${row.sent.toLocaleString('en-US')}`,
      );
    if (row.otlp)
      notes.push(
        `otlp: the sink received ${row.otlp.spans.toLocaleString('en-US')} spans in ${row.otlp.batches} batches (${(row.otlp.spans / row.sent).toFixed(2)} per request, ${Math.round(row.otlp.bytes / Math.max(1, row.otlp.spans))} bytes per span)${row.otlp.unreadable ? `, ${row.otlp.unreadable} unreadable` : ''}`,
      );
  }
  const other = rows.flatMap((r) => r.windows.map((w) => w.otherCores));
  notes.push(
    `other processes on the machine used ${median(other).toFixed(2)} cores (median; max ${Math.max(...other).toFixed(2)}) during the windows`,
  );
  return [...lines, '', ...notes.map((n) => `- ${n}`)].join('\n');
}

async function main(): Promise<void> {
  const wrk = findWrk();
  if (!wrk)
    throw new Error('wrk is not on PATH (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk)');
  if (values['cpu-prof']) mkdirSync(values['cpu-prof'], { recursive: true });
  const logDir = mkdtempSync(join(tmpdir(), 'skiff-bench-telemetry-'));
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const started = new Date();
  const all: Row[] = [];
  const tables: string[] = [];
  for (const guest of guests) {
    const rows = await benchGuest(wrk, logDir, guest);
    all.push(...rows);
    tables.push(table(guest, rows));
  }
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(
    values.out,
    `${JSON.stringify({ date: started.toISOString(), load, rounds, rows: all }, null, 2)}\n`,
  );
  const header = [
    `- **Machine:** ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; load average ${loadAtStart} at the start, ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end`,
    `- **Software:** Node ${process.versions.node}, wrk, ${existsSync(WASMTIME_BIN) ? `wasmtime ${WASMTIME_VERSION}` : 'wasmtime from PATH'}; Skiff on 1 worker (\`--workers 1\`, lifecycle \`fresh\`, logs as JSON lines to a file)`,
    `- **Date:** ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- **Command:** \`npm run bench:telemetry${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (wrk, ${load.connections} connections, ${rounds} rounds; in each, a new process of every server, ${values.warmup} s of warm-up, then ${load.durationS} s measured, in an order that rotates; logs in ${logDir})`,
  ];
  process.stdout.write(`${header.join('\n')}\n\n${tables.join('\n\n')}\n`);
  progress(`raw results in ${values.out}`);
}

await main();
