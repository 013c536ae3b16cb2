/**
 * `npm run bench:p3` — WASI 0.3 handlers side by side with WASI 0.2 ones, in one run (issue #10):
 *
 * - throughput: the same hello as a 0.2 Rust handler (`fresh`, `reuse`) and as a 0.3 handler
 *   (reused with up to 16 requests per instance, the default, and `fresh`), next to
 *   `wasmtime serve` on each and plain `node:http`;
 * - 1,000 concurrent sleeping requests: a 0.2 guest sleeping through a pollable against a 0.3
 *   guest awaiting `wait-for`, both 200 ms, each on its default pool.
 *
 * Prints Markdown; the numbers also go to bench/results/wasi-p3.json.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WASMTIME_BIN } from '../test/support/install-wasmtime.ts';
import { formatUs } from './report.ts';
import { measureServer, type ServerCommand } from './server-process.ts';
import { fireSleepers, type SleepersResult } from './sleepers.ts';
import { findWrk, runWrk, type WrkResult } from './wrk.ts';

const ROOT = join(import.meta.dirname, '..');
const SERVING = /Serving (http:\/\/\S+)/;
const P2_HELLO = 'fixtures/rust/hello/hello.wasm';
const P3_HTTP = 'fixtures/rust/p3-http/p3-http.wasm';
const P2_SLEEP = 'fixtures/rust/sleep/sleep.wasm';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    sleepers: { type: 'string', default: '1000' },
  },
});
const durationS = Number(values.duration);
const connections = Number(values.connections);
const sleepers = Number(values.sleepers);

const skiff = (component: string, extra: string[] = []): ServerCommand => ({
  command: process.execPath,
  args: [
    join(ROOT, 'bin/skiff.js'),
    'up',
    '--component',
    join(ROOT, component),
    '--listen',
    '127.0.0.1:0',
    ...extra,
  ],
  cwd: ROOT,
  ready: SERVING,
  startTimeoutMs: 120_000,
});

const wasmtime = (component: string, extra: string[]): ServerCommand => ({
  command: existsSync(WASMTIME_BIN) ? WASMTIME_BIN : 'wasmtime',
  args: ['serve', '-Scli', ...extra, '--addr', '127.0.0.1:0', join(ROOT, component)],
  cwd: ROOT,
  ready: /Serving HTTP on (http:\/\/[\d.]+:\d+)/,
  startTimeoutMs: 60_000,
});

interface Row {
  label: string;
  path: string;
  command: ServerCommand;
  result?: WrkResult;
  peakRssKiB?: number;
  error?: string;
}

const HELLO_ROWS: Row[] = [
  {
    label: 'plain `node:http` (baseline)',
    path: '/',
    command: {
      command: process.execPath,
      args: [join(ROOT, 'bench/hello-server.ts'), '--listen', '127.0.0.1:0'],
      cwd: ROOT,
      ready: SERVING,
      startTimeoutMs: 10_000,
    },
  },
  { label: 'Skiff, WASI 0.2 `fresh`', path: '/', command: skiff(P2_HELLO, ['--lifecycle', 'fresh']) },
  { label: 'Skiff, WASI 0.2 `reuse`', path: '/', command: skiff(P2_HELLO, ['--lifecycle', 'reuse']) },
  { label: 'Skiff, WASI 0.3 (reuse, 16 per instance: the default)', path: '/hello', command: skiff(P3_HTTP) },
  { label: 'Skiff, WASI 0.3 `fresh`', path: '/hello', command: skiff(P3_HTTP, ['--lifecycle', 'fresh']) },
  {
    label: '`wasmtime serve`, WASI 0.2, reuse 128',
    path: '/',
    command: wasmtime(P2_HELLO, ['--max-instance-reuse-count', '128']),
  },
  {
    label: '`wasmtime serve -Sp3`, WASI 0.3 (its default reuse)',
    path: '/hello',
    command: wasmtime(P3_HTTP, ['-Sp3']),
  },
];

interface SleepRow {
  label: string;
  path: string;
  command: ServerCommand;
  result?: SleepersResult;
  peakRssKiB?: number;
  idleRssKiB?: number;
  error?: string;
}

const SLEEP_ROWS: SleepRow[] = [
  {
    label: 'Skiff, WASI 0.2 sleep `reuse`',
    path: '/?ms=200',
    command: skiff(P2_SLEEP, ['--lifecycle', 'reuse']),
  },
  {
    label: 'Skiff, WASI 0.2 sleep `fresh`',
    path: '/?ms=200',
    command: skiff(P2_SLEEP, ['--lifecycle', 'fresh']),
  },
  { label: 'Skiff, WASI 0.3 `/slow` (reuse, 16 per instance)', path: '/slow', command: skiff(P3_HTTP) },
];

async function main(): Promise<void> {
  const wrk = findWrk();
  if (!wrk) throw new Error('wrk is not on PATH (sudo apt-get install wrk)');
  const logDir = mkdtempSync(join(tmpdir(), 'skiff-bench-p3-'));
  const load = { durationS, connections, threads: 1, timeoutS: 5 };
  for (const row of HELLO_ROWS) {
    process.stderr.write(`hello  ${row.label} …\n`);
    await measureServer(row.command, logDir, `hello-${HELLO_ROWS.indexOf(row)}`, row, async (server) => {
      const url = `${server.url}${row.path}`;
      await runWrk(wrk, url, { ...load, durationS: 2 });
      row.result = await runWrk(wrk, url, load);
      row.peakRssKiB = server.memoryKiB('VmHWM');
    });
  }
  for (const row of SLEEP_ROWS) {
    process.stderr.write(`sleep  ${row.label} …\n`);
    await measureServer(row.command, logDir, `sleep-${SLEEP_ROWS.indexOf(row)}`, row, async (server) => {
      row.idleRssKiB = server.memoryKiB('VmRSS');
      row.result = await fireSleepers(server.url, sleepers, 200, row.path);
      row.peakRssKiB = server.memoryKiB('VmHWM');
    });
  }
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/wasi-p3.json'),
    JSON.stringify({ HELLO_ROWS, SLEEP_ROWS }, null, 2),
  );
  process.stdout.write(report());
}

const mib = (kib: number | undefined) => (kib === undefined ? '—' : `${Math.round(kib / 1024)} MiB`);

function report(): string {
  const base = HELLO_ROWS[0]?.result?.okPerSec;
  const lines = [
    `- **Machine:** ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `- **Date:** ${new Date().toISOString()}`,
    `- **Command:** \`npm run bench:p3\` (wrk, ${connections} connections, ${durationS} s after a 2 s warm-up; all cores)`,
    '',
    '| server | path | req/s (2xx) | p50 | p99 | × node:http | errors | peak RSS |',
    '|---|---|---:|---:|---:|---:|---|---:|',
    ...HELLO_ROWS.map((r) => {
      const ok = r.result?.okPerSec;
      const errors =
        r.error ?? (r.result && r.result.errors.status > 0 ? `${r.result.errors.status} non-2xx` : '—');
      return `| ${r.label} | \`${r.path}\` | ${ok === undefined ? '—' : Math.round(ok).toLocaleString('en-US')} | ${formatUs(r.result?.p50Us)} | ${formatUs(r.result?.p99Us)} | ${ok && base ? `${(ok / base).toFixed(2)}×` : '—'} | ${errors} | ${mib(r.peakRssKiB)} |`;
    }),
    '',
    `${sleepers} concurrent requests, each sleeping 200 ms in the guest:`,
    '',
    '| server | answers | wall time | client p50 | client max | peak RSS | per request |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...SLEEP_ROWS.map((r) => {
      const res = r.result;
      if (!res) return `| ${r.label} | ${r.error ?? 'no result'} | — | — | — | — | — |`;
      const answers = Object.entries(res.outcomes)
        .map(([k, v]) => `${v} × ${k}`)
        .join(', ');
      const per =
        r.peakRssKiB !== undefined && r.idleRssKiB !== undefined
          ? `${Math.round((r.peakRssKiB - r.idleRssKiB) / res.requests)} KiB`
          : '—';
      return `| ${r.label} | ${answers} | ${(res.wallMs / 1000).toFixed(2)} s | ${formatUs(res.latency.p50Us)} | ${formatUs(res.latency.maxUs)} | ${mib(r.peakRssKiB)} | ${per} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

await main();
