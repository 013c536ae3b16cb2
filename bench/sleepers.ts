/**
 * The memory benchmark's load: N requests opened at once, each asking the sleep guest to wait
 * `ms` on the monotonic clock. One socket per request (an agent without a socket limit), so all
 * N are in flight together rather than queued in the client.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { measureServer, type ServerCommand } from './server-process.ts';
import { stats, type TimingStats } from './stats.ts';

export const SLEEP_GUEST = 'fixtures/rust/sleep/sleep.wasm';

export interface SleepersResult {
  requests: number;
  sleepMs: number;
  /** From the first request sent to the last response read. */
  wallMs: number;
  /** Status code (or error code) → count. */
  outcomes: Record<string, number>;
  /** Per-request time to the full response, in microseconds. */
  latency: TimingStats;
}

function one(agent: Agent, url: URL, timeoutMs: number): Promise<{ outcome: string; us: number }> {
  const started = performance.now();
  const done = (outcome: string) => ({ outcome, us: (performance.now() - started) * 1000 });
  return new Promise((resolve) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(done(String(res.statusCode))));
      res.once('error', (e: NodeJS.ErrnoException) => resolve(done(e.code ?? 'response error')));
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.once('error', (e: NodeJS.ErrnoException) => resolve(done(e.code ?? 'request error')));
    req.end();
  });
}

/** `path`: where the guest sleeps `sleepMs` (the sleep fixture's `/?ms=N` by default). */
export async function fireSleepers(
  baseUrl: string,
  requests: number,
  sleepMs: number,
  path = `/?ms=${sleepMs}`,
): Promise<SleepersResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const url = new URL(path, baseUrl);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: requests }, () => one(agent, url, sleepMs + 30_000)),
  );
  const wallMs = performance.now() - started;
  agent.destroy();
  const outcomes: Record<string, number> = {};
  for (const { outcome } of results) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  return { requests, sleepMs, wallMs, outcomes, latency: stats(results.map((r) => r.us)) };
}

export interface MemoryRow {
  id: string;
  label: string;
  /** RSS of the server's process tree once ready, before any request (sum of VmRSS), KiB. */
  idleRssKiB?: number;
  /** Peak RSS of the tree (sum of VmHWM), KiB. */
  peakRssKiB?: number;
  /** Connections the kernel dropped because the accept queue was full (TcpExt ListenOverflows). */
  listenOverflows?: number;
  result?: SleepersResult;
  error?: string;
}

/** The system-wide count of accept-queue overflows; a server that accepts too slowly shows here. */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = (lines[i] as string).split(/\s+/);
    if (names[0] !== 'TcpExt:') continue;
    const values = (lines[i + 1] as string).split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')] ?? 0);
  }
  return 0;
}

export interface SleepTarget {
  id: string;
  label: string;
  command(root: string): ServerCommand;
}

const SERVING = /Serving (http:\/\/\S+)/;

/** The reference, then Skiff in both lifecycles for each worker count (undefined: the default, all cores). */
export function sleepTargets(workers: Array<number | undefined>): SleepTarget[] {
  const skiff = (lifecycle: 'fresh' | 'reuse', n: number | undefined): SleepTarget => ({
    id: `skiff-${lifecycle}${n === undefined ? '' : `-w${n}`}`,
    label: `Skiff \`${lifecycle}\`, ${n === undefined ? 'all cores (default)' : `${n} worker${n > 1 ? 's' : ''}`}`,
    command: (root) => ({
      command: process.execPath,
      args: [
        join(root, 'bin/skiff.js'),
        'up',
        '--component',
        join(root, SLEEP_GUEST),
        '--listen',
        '127.0.0.1:0',
        '--lifecycle',
        lifecycle,
        ...(n === undefined ? [] : ['--workers', String(n)]),
      ],
      cwd: root,
      ready: SERVING,
      startTimeoutMs: 120_000,
    }),
  });
  return [
    {
      id: 'node',
      label: 'plain `node:http` + `setTimeout` (reference)',
      command: (root) => ({
        command: process.execPath,
        args: [join(root, 'bench/hello-server.ts'), '--listen', '127.0.0.1:0', '--sleep'],
        cwd: root,
        ready: SERVING,
        startTimeoutMs: 10_000,
      }),
    },
    ...workers.flatMap((n) => [skiff('fresh', n), skiff('reuse', n)]),
  ];
}

/** Starts the server, fires the sleepers, reads the server's memory, stops it. */
export async function benchSleepers(
  root: string,
  logDir: string,
  target: SleepTarget,
  requests: number,
  sleepMs: number,
): Promise<MemoryRow> {
  const row: MemoryRow = { id: target.id, label: target.label };
  if (target.id.startsWith('skiff') && !existsSync(join(root, SLEEP_GUEST))) {
    row.error = `${SLEEP_GUEST} is not built (\`npm run fixtures\` builds it when the Rust toolchain is present)`;
    return row;
  }
  return measureServer(target.command(root), logDir, `sleep-${target.id}`, row, async (server) => {
    row.idleRssKiB = server.memoryKiB('VmRSS');
    const overflowsBefore = listenOverflows();
    row.result = await fireSleepers(server.url, requests, sleepMs);
    row.listenOverflows = listenOverflows() - overflowsBefore;
    row.peakRssKiB = server.memoryKiB('VmHWM');
  });
}
