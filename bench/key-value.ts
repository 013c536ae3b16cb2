/**
 * The key-value backends side by side (issue #12): the latency of `get`, `set`, `increment` and a
 * compare-and-swap (`current` + `swap`) as one caller sees it, one call after another, on SQLite (a
 * temporary file), Redis and NATS JetStream (real servers on loopback, test/support/servers.ts).
 * What it measures is the backend plus its client, without a guest: the floor under a guest's call.
 *
 *   node bench/key-value.ts [--ms 600] [--json]      (or npm run bench -- --only key-value)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KeyValueBackend, KeyValueStore } from '../src/capabilities/key-value/backend.ts';
import { createKeyValueBackend } from '../src/capabilities/key-value/backends/index.ts';
import { findServerBinary, startNats, startRedis, type TestServer } from '../test/support/servers.ts';
import { formatUs } from './report.ts';
import { stats, type TimingStats } from './stats.ts';

/** Bytes of every value written: a small record, as most keys hold. */
const VALUE_BYTES = 100;
/** Distinct keys `get` and `set` cycle through. */
const KEYS = 1000;
const WARMUP_CALLS = 200;
const OPERATIONS = ['get', 'set', 'increment', 'cas'] as const;
type Operation = (typeof OPERATIONS)[number];

export interface KeyValueRow {
  backend: string;
  /** `redis-server 7.0.15`, or the SQLite file's settings. */
  version: string;
  results?: Record<Operation, TimingStats & { opsPerSec: number }>;
  error?: string;
}

export interface KeyValueSection {
  msPerOperation: number;
  valueBytes: number;
  rows: KeyValueRow[];
}

interface Setup {
  type: 'sqlite' | 'redis' | 'nats';
  start(): Promise<{ config: Record<string, unknown>; version: string; dispose(): Promise<void> }>;
}

const serverVersion = (name: string) =>
  execFileSync(findServerBinary(name), ['--version'], { encoding: 'utf8' }).match(/v=?(\d+\.\d+\.\d+)/)?.[1];

const withServer = async (server: TestServer, name: string) => ({
  config: { url: server.url },
  version: `${name} ${serverVersion(name) ?? ''}`.trim(),
  dispose: () => server.dispose(),
});

const SETUPS: Setup[] = [
  {
    type: 'sqlite',
    async start() {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-kv-'));
      return {
        config: { path: join(dir, 'kv.sqlite') },
        version: `node:sqlite ${process.versions.sqlite}, WAL, synchronous=NORMAL`,
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  { type: 'redis', start: async () => withServer(await startRedis(), 'redis-server') },
  { type: 'nats', start: async () => withServer(await startNats(), 'nats-server') },
];

/** Calls `op` one after another for `ms` (after a warm-up), timing each call. */
async function measure(op: (i: number) => Promise<unknown>, ms: number) {
  for (let i = 0; i < WARMUP_CALLS; i++) await op(i);
  const samples: number[] = [];
  const began = performance.now();
  for (let i = 0; performance.now() - began < ms; i++) {
    const t = performance.now();
    await op(i);
    samples.push((performance.now() - t) * 1000);
  }
  const elapsedS = (performance.now() - began) / 1000;
  return { ...stats(samples), opsPerSec: samples.length / elapsedS };
}

function operations(store: KeyValueStore): Record<Operation, (i: number) => Promise<unknown>> {
  const value = new Uint8Array(VALUE_BYTES).fill(42);
  const key = (i: number) => `bench/key-${i % KEYS}`;
  return {
    get: (i) => store.get(key(i)),
    set: (i) => store.set(key(i), value),
    increment: () => store.increment('bench/counter', 1n),
    cas: async (i) => {
      const ticket = await store.current('bench/cas');
      if (!(await store.swap('bench/cas', ticket, Buffer.from(`value ${i}`))))
        throw new Error('a swap with no other writer lost');
    },
  };
}

export async function benchKeyValue(
  msPerOperation: number,
  progress: (message: string) => void,
): Promise<KeyValueSection> {
  const rows: KeyValueRow[] = [];
  for (const setup of SETUPS) {
    let started: Awaited<ReturnType<Setup['start']>> | undefined;
    let backend: KeyValueBackend | undefined;
    try {
      started = await setup.start();
      backend = createKeyValueBackend(setup.type, started.config, { baseDir: tmpdir(), where: 'bench' });
      const store = await backend.open('bench', 'default');
      const ops = operations(store);
      // `get` reads keys that exist.
      for (let i = 0; i < KEYS; i++) await ops.set(i);
      const results = {} as Record<Operation, TimingStats & { opsPerSec: number }>;
      for (const name of OPERATIONS) {
        progress(`key-value ${setup.type} ${name} …`);
        results[name] = await measure(ops[name], msPerOperation);
      }
      rows.push({ backend: setup.type, version: started.version, results });
    } catch (e) {
      rows.push({ backend: setup.type, version: started?.version ?? '', error: (e as Error).message });
    } finally {
      await backend?.close();
      await started?.dispose();
    }
  }
  return { msPerOperation, valueBytes: VALUE_BYTES, rows };
}

const LABELS: Record<Operation, string> = {
  get: '`get`',
  set: '`set`',
  increment: '`increment`',
  cas: 'CAS (`current` + `swap`)',
};

export function keyValueTable(section: KeyValueSection): string {
  const lines = [
    '### Key-value backends: one caller, one call after another',
    '',
    `Each operation for ${section.msPerOperation} ms after ${WARMUP_CALLS} warm-up calls; values of ` +
      `${section.valueBytes} bytes, \`get\`/\`set\` over ${KEYS} keys; servers on loopback. ops/s is ` +
      'what one sequential caller gets, not what the backend can take from many.',
    '',
    '| backend | operation | p50 | p99 | ops/s |',
    '|---|---|---:|---:|---:|',
  ];
  for (const row of section.rows) {
    if (!row.results) {
      lines.push(`| ${row.backend} | not run: ${row.error?.split('\n')[0] ?? ''} | | | |`);
      continue;
    }
    for (const op of OPERATIONS) {
      const r = row.results[op];
      lines.push(
        `| ${row.backend} | ${LABELS[op]} | ${formatUs(r.p50Us)} | ${formatUs(r.p99Us)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} |`,
      );
    }
  }
  lines.push('', ...section.rows.map((r) => `- ${r.backend}: ${r.version}`));
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { ms: { type: 'string', default: '600' }, json: { type: 'boolean', default: false } },
  });
  const ms = Number(values.ms);
  if (!Number.isFinite(ms) || ms <= 0) throw new Error('--ms must be a positive number of milliseconds');
  const section = await benchKeyValue(ms, (m) => process.stderr.write(`${m}\n`));
  process.stdout.write(values.json ? `${JSON.stringify(section, null, 2)}\n` : `${keyValueTable(section)}\n`);
}

if (import.meta.main) await main();
