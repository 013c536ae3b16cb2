/**
 * The side-by-side HTTP benchmark: for each guest, every target in turn (one server at a time,
 * stopped before the next starts), a warm-up run of wrk, then the measured run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WASMTIME_BIN } from '../test/support/install-wasmtime.ts';
import { freePort, measureServer, type ServerCommand } from './server-process.ts';
import { type LoadOptions, runWrk, type WrkResult } from './wrk.ts';

export interface Guest {
  id: string;
  label: string;
  /** Relative to the repo root. */
  file: string;
  /** What the guest answers on `/`, so the node:http baseline sends the same bytes. */
  body: string;
}

export const GUESTS: Guest[] = [
  { id: 'c', label: 'C hello', file: 'fixtures/c/hello/hello.wasm', body: 'hello from c\n' },
  {
    id: 'js',
    label: 'JS hello (componentize-js)',
    file: 'fixtures/js/hello/hello.wasm',
    body: 'hello from js\n',
  },
];

/** `fresh` and `reuse` rows are compared with the jco mode that isolates the same way. */
export type Isolation = 'baseline' | 'fresh' | 'reuse';

export interface HttpTarget {
  id: string;
  label: string;
  isolation: Isolation;
  command(guest: Guest, root: string): Promise<ServerCommand>;
}

const SERVING = /Serving (http:\/\/\S+)/;
const wasmtimeCommand = (): string => (existsSync(WASMTIME_BIN) ? WASMTIME_BIN : 'wasmtime');
// First start of a 12 MB guest transpiles it (Skiff caches the result; jco serve does it every time).
const START_TIMEOUT_MS = 180_000;

function skiff(lifecycle: 'fresh' | 'reuse', workers: number | undefined, binder?: 'jco'): HttpTarget {
  const where = workers === undefined ? 'all cores (default)' : `${workers} worker${workers > 1 ? 's' : ''}`;
  return {
    id: `skiff-${lifecycle}${workers === undefined ? '' : `-w${workers}`}${binder ? `-${binder}` : ''}`,
    label: `Skiff \`${lifecycle}\`, ${where}${binder ? `, \`--binder ${binder}\`` : ''}`,
    isolation: lifecycle,
    command: async (guest, root) => ({
      command: process.execPath,
      args: [
        join(root, 'bin/skiff.js'),
        'up',
        '--component',
        join(root, guest.file),
        '--listen',
        '127.0.0.1:0',
        '--lifecycle',
        lifecycle,
        ...(workers === undefined ? [] : ['--workers', String(workers)]),
        ...(binder ? ['--binder', binder] : []),
      ],
      cwd: root,
      ready: SERVING,
      startTimeoutMs: START_TIMEOUT_MS,
    }),
  };
}

/**
 * `wasmtime serve`, the reference host (installed by `npm test`'s pretest into .tools/, or on
 * PATH): a new instance per request (its default for WASI 0.2), or reuse like Skiff's `reuse` with
 * Spin's 128 requests per instance.
 */
function wasmtimeServe(lifecycle: 'fresh' | 'reuse'): HttpTarget {
  return {
    id: `wasmtime-${lifecycle}`,
    label:
      lifecycle === 'fresh'
        ? '`wasmtime serve` (instance per request)'
        : '`wasmtime serve --max-instance-reuse-count 128`',
    isolation: lifecycle,
    command: async (guest, root) => ({
      command: wasmtimeCommand(),
      args: [
        'serve',
        '-Scli',
        '--addr',
        '127.0.0.1:0',
        ...(lifecycle === 'reuse' ? ['--max-instance-reuse-count', '128'] : []),
        join(root, guest.file),
      ],
      cwd: root,
      ready: /Serving HTTP on (http:\/\/[\d.]+:\d+)/,
      startTimeoutMs: START_TIMEOUT_MS,
    }),
  };
}

function jcoServe(isolateInstance: boolean): HttpTarget {
  return {
    id: isolateInstance ? 'jco-instance' : 'jco-shared',
    label: isolateInstance ? '`jco serve --isolate-requests instance`' : '`jco serve` (one shared instance)',
    isolation: isolateInstance ? 'fresh' : 'reuse',
    command: async (guest, root) => {
      // jco serve prints the port it was given, not the one it got: choose a free one here.
      const port = await freePort();
      return {
        command: process.execPath,
        args: [
          join(root, 'node_modules/@bytecodealliance/jco/dist/jco.js'),
          'serve',
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          ...(isolateInstance ? ['--isolate-requests', 'instance'] : []),
          join(root, guest.file),
        ],
        cwd: root,
        ready: /Server listening @/,
        url: `http://127.0.0.1:${port}`,
        startTimeoutMs: START_TIMEOUT_MS,
      };
    },
  };
}

export const TARGETS: HttpTarget[] = [
  {
    id: 'node',
    label: 'plain `node:http` (baseline)',
    isolation: 'baseline',
    command: async (guest, root) => ({
      command: process.execPath,
      args: [join(root, 'bench/hello-server.ts'), '--listen', '127.0.0.1:0', '--body', guest.body],
      cwd: root,
      ready: SERVING,
      startTimeoutMs: 10_000,
    }),
  },
  skiff('fresh', 1),
  skiff('fresh', undefined),
  skiff('reuse', 1),
  skiff('reuse', undefined),
  skiff('fresh', undefined, 'jco'),
  skiff('reuse', undefined, 'jco'),
  wasmtimeServe('fresh'),
  wasmtimeServe('reuse'),
  jcoServe(false),
  jcoServe(true),
];

export interface HttpRow {
  guest: string;
  target: string;
  label: string;
  isolation: Isolation;
  startMs?: number;
  warmup?: WrkResult;
  result?: WrkResult;
  /** Peak RSS of the server's process tree (sum of VmHWM), KiB. */
  peakRssKiB?: number;
  /** Why there is no result (server did not start, wrk failed), or why it is suspect (server died). */
  error?: string;
}

export async function benchTarget(
  wrk: string,
  root: string,
  logDir: string,
  guest: Guest,
  target: HttpTarget,
  load: LoadOptions,
  warmupS: number,
): Promise<HttpRow> {
  const row: HttpRow = {
    guest: guest.id,
    target: target.id,
    label: target.label,
    isolation: target.isolation,
  };
  return measureServer(
    await target.command(guest, root),
    logDir,
    `${guest.id}-${target.id}`,
    row,
    async (server) => {
      row.startMs = server.startMs;
      const url = `${server.url}/`;
      if (warmupS > 0) row.warmup = await runWrk(wrk, url, { ...load, durationS: warmupS });
      row.result = await runWrk(wrk, url, load);
      row.peakRssKiB = server.memoryKiB('VmHWM');
    },
  );
}
