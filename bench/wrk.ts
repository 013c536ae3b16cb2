/**
 * Runs wrk against one URL and returns its numbers. A Lua `done` hook prints them as JSON after
 * wrk's own `--latency` report, so nothing depends on parsing wrk's human-readable units.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPORT_SCRIPT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));
const MARKER = 'SKIFF-BENCH-JSON ';

// A harness stopped by a signal must not leave wrk hammering a dead port.
const liveWrk = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveWrk) child.kill('SIGKILL');
});

export interface LoadOptions {
  durationS: number;
  connections: number;
  threads: number;
  /** Per-request timeout; wrk counts slower answers as timeouts. */
  timeoutS: number;
}

export interface WrkResult {
  requests: number;
  durationS: number;
  /** Every answer wrk counted, errors included. */
  requestsPerSec: number;
  /** Only answers with a 2xx or 3xx status: what the tables and ratios use. */
  okPerSec: number;
  /** Latency percentiles in microseconds; undefined when nothing completed. */
  p50Us: number | undefined;
  p99Us: number | undefined;
  maxUs: number | undefined;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  /** wrk's own text report, kept in the JSON results. */
  text: string;
}

/** The wrk binary on PATH, or undefined. */
export function findWrk(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'wrk');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export async function runWrk(wrk: string, url: string, load: LoadOptions): Promise<WrkResult> {
  const args = [
    `-t${load.threads}`,
    `-c${load.connections}`,
    `-d${load.durationS}s`,
    `--timeout`,
    `${load.timeoutS}s`,
    '--latency',
    '-s',
    REPORT_SCRIPT,
    url,
  ];
  const running = run(wrk, args, { maxBuffer: 1 << 20, timeout: (load.durationS + 60) * 1000 });
  liveWrk.add(running.child);
  const { stdout } = await running.finally(() => liveWrk.delete(running.child));
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const raw = JSON.parse(line.slice(MARKER.length)) as {
    requests: number;
    duration_us: number;
    p50_us: number;
    p99_us: number;
    max_us: number;
    errors: WrkResult['errors'];
  };
  const durationS = raw.duration_us / 1e6;
  const measured = raw.requests > 0;
  return {
    requests: raw.requests,
    durationS,
    requestsPerSec: raw.requests / durationS,
    okPerSec: (raw.requests - raw.errors.status) / durationS,
    p50Us: measured ? raw.p50_us : undefined,
    p99Us: measured ? raw.p99_us : undefined,
    maxUs: measured ? raw.max_us : undefined,
    errors: raw.errors,
    text: stdout.replace(/^SKIFF-BENCH-JSON .*\n?/m, '').trimEnd(),
  };
}
