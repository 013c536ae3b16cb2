/** Turns the raw results into the Markdown tables printed by `npm run bench` and kept in BENCHMARKS.md. */
import type { Guest, HttpRow } from './http.ts';
import type { MicroResults } from './micro.ts';
import type { MemoryRow } from './sleepers.ts';
import type { WrkResult } from './wrk.ts';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews results. */
  loadAverage: number[];
  node: string;
  wrk: string;
  jco: string;
  date: string;
  command: string;
}

export interface BenchResults {
  machine: Machine;
  options: Record<string, unknown>;
  guests: Array<Guest & { bytes: number }>;
  http: HttpRow[];
  micro?: MicroResults | { error: string };
  memory: MemoryRow[];
}

const dash = '—';

export function formatUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return dash;
  if (us < 1000) return `${us.toFixed(us < 10 ? 1 : 0)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

const formatRate = (r: number) => Math.round(r).toLocaleString('en-US');
const formatMiB = (kib: number | undefined) => (kib === undefined ? dash : `${Math.round(kib / 1024)} MiB`);
const formatSize = (bytes: number) =>
  bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`;
const firstLine = (text: string) => text.split('\n')[0]?.slice(0, 110) ?? '';

function errorSummary(r: WrkResult, warmup: WrkResult | undefined, error: string | undefined): string {
  if (error) return firstLine(error).replace(/\|/g, '\\|');
  // wrk counts a timeout only for a request it sent; a server that stops answering shows no errors.
  if (r.requests === 0) return `no answer at all (warm-up: ${warmup?.requests ?? 0} answered)`;
  const e = r.errors;
  const parts = [
    e.timeout && `${e.timeout} timeouts`,
    e.status && `${e.status} non-2xx`,
    e.connect + e.read + e.write && `${e.connect + e.read + e.write} socket errors`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : dash;
}

function baselineRate(rows: HttpRow[], guest: string): number | undefined {
  return rows.find((r) => r.guest === guest && r.isolation === 'baseline')?.result?.okPerSec;
}

function httpTable(results: BenchResults, guest: Guest & { bytes: number }): string {
  const rows = results.http.filter((r) => r.guest === guest.id);
  const base = baselineRate(results.http, guest.id);
  const lines = [
    `### ${guest.label} — \`${guest.file}\` (${formatSize(guest.bytes)})`,
    '',
    '| server | req/s (2xx) | p50 | p99 | × node:http | × wasmtime | errors | peak RSS |',
    '|---|---:|---:|---:|---:|---:|---|---:|',
  ];
  // Each row against `wasmtime serve` isolating requests the same way (fresh with fresh, reuse with reuse).
  const wasmtimeRate = (isolation: string) =>
    rows.find((r) => r.target === `wasmtime-${isolation}`)?.result?.okPerSec;
  for (const row of rows) {
    const r = row.result;
    if (!r) {
      lines.push(
        `| ${row.label} | not run: ${firstLine(row.error ?? '').replace(/\|/g, '\\|')} | | | | | | |`,
      );
      continue;
    }
    const ratio = base ? `${(r.okPerSec / base).toFixed(2)}×` : dash;
    const reference = wasmtimeRate(row.isolation);
    const vsWasmtime = reference ? `${(r.okPerSec / reference).toFixed(2)}×` : dash;
    lines.push(
      `| ${row.label} | ${formatRate(r.okPerSec)} | ${formatUs(r.p50Us)} | ${formatUs(r.p99Us)} | ${ratio} | ${vsWasmtime} | ${errorSummary(r, row.warmup, row.error)} | ${formatMiB(row.peakRssKiB)} |`,
    );
  }
  return lines.join('\n');
}

function microTables(micro: BenchResults['micro']): string {
  if (!micro) return '';
  if ('error' in micro) return `### Micro-benchmarks\n\nnot run: ${micro.error}`;
  const lines = [
    '### Instantiation (per instance: `component.instantiate(instanceImports(grants, io).imports)`)',
    '',
    '| guest | binder | iterations | p50 | p99 | mean | min | first `reset()` p50 | p99 | next `reset()` p50 | p99 |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of micro.instantiation) {
    const i = m.instantiate;
    lines.push(
      `| ${m.guest} | ${m.binder ?? 'jco'} | ${i.iterations} | ${formatUs(i.p50Us)} | ${formatUs(i.p99Us)} | ${formatUs(i.meanUs)} | ${formatUs(i.minUs)} | ${formatUs(m.reset?.p50Us)} | ${formatUs(m.reset?.p99Us)} | ${formatUs(m.resetAgain?.p50Us)} | ${formatUs(m.resetAgain?.p99Us)} |`,
    );
  }
  lines.push(
    '',
    '### Host-call overhead (guest loop calling `wasi:clocks/monotonic-clock#now`)',
    '',
    '| path | ns per call (median) | min | calls per batch |',
    '|---|---:|---:|---:|',
  );
  for (const h of micro.hostCalls)
    lines.push(`| ${h.path} | ${h.medianNs.toFixed(1)} | ${h.minNs.toFixed(1)} | ${formatRate(h.calls)} |`);
  return lines.join('\n');
}

function memoryTable(rows: MemoryRow[]): string {
  if (rows.length === 0) return '';
  const first = rows.find((r) => r.result)?.result;
  const title = first
    ? `### Memory: ${first.requests} concurrent requests, each sleeping ${first.sleepMs} ms (\`fixtures/rust/sleep\`)`
    : '### Memory: concurrent sleeping requests (`fixtures/rust/sleep`)';
  const lines = [
    title,
    '',
    '| server | answers | wall time | client p50 | client max | RSS idle | peak RSS | per request | listen overflows |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const r = row.result;
    if (!r) {
      lines.push(
        `| ${row.label} | not run: ${firstLine(row.error ?? '').replace(/\|/g, '\\|')} | | | | | | | |`,
      );
      continue;
    }
    const outcomes = Object.entries(r.outcomes)
      .map(([k, n]) => `${n} × ${k}`)
      .join(', ')
      .concat(row.error ? `; ${firstLine(row.error).replace(/\|/g, '\\|')}` : '');
    const perRequest =
      row.peakRssKiB !== undefined && row.idleRssKiB !== undefined
        ? `${Math.round((row.peakRssKiB - row.idleRssKiB) / r.requests)} KiB`
        : dash;
    lines.push(
      `| ${row.label} | ${outcomes} | ${formatUs(r.wallMs * 1000)} | ${formatUs(r.latency.p50Us)} | ${formatUs(r.latency.maxUs)} | ${formatMiB(row.idleRssKiB)} | ${formatMiB(row.peakRssKiB)} | ${perRequest} | ${row.listenOverflows ?? dash} |`,
    );
  }
  return lines.join('\n');
}

export function toMarkdown(results: BenchResults, targets: string): string {
  const m = results.machine;
  const header = [
    `- **Machine:** ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM (load average at start: ${m.loadAverage.join(', ')})`,
    `- **Software:** Node ${m.node}, ${m.wrk}, jco ${m.jco}`,
    `- **Date:** ${m.date}`,
    `- **Command:** \`${m.command}\``,
  ].join('\n');
  const http = results.http.length > 0 ? results.guests.map((g) => httpTable(results, g)) : [];
  return [header, ...http, microTables(results.micro), memoryTable(results.memory), targets]
    .filter(Boolean)
    .join('\n\n');
}
