/**
 * `npm run bench` — Skiff next to plain node:http and jco serve, on this machine, in one run:
 * HTTP throughput and latency (wrk), instantiation and host-call micro-benchmarks, memory under
 * 1,000 sleeping requests, the latency of light requests mixed with heavy ones (bench/mixed-load.ts),
 * and the key-value backends' per-call latency (bench/key-value.ts).
 * Progress goes to stderr, the Markdown report to stdout, the raw numbers to bench/results/latest.json.
 * See BENCHMARKS.md for the method.
 *
 *   npm run bench -- [--duration 10] [--connections 32] [--warmup 2] [--only http,micro,memory,mixed,key-value]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { HOST_CALL_PATHS } from './host-call-paths.ts';
import { benchTarget, GUESTS, TARGETS } from './http.ts';
import { benchKeyValue, type KeyValueSection, keyValueTable } from './key-value.ts';
import type { MicroResults } from './micro.ts';
import { benchMixed, DEFAULT_FIB_N, MIXED_TARGETS, type MixedSection, mixedTable } from './mixed-load.ts';
import { type BenchResults, type Machine, toMarkdown } from './report.ts';
import { benchSleepers, sleepTargets } from './sleepers.ts';
import { targetsTable } from './targets.ts';
import { findWrk } from './wrk.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SECTIONS = ['http', 'micro', 'memory', 'mixed', 'key-value'] as const;
const run = promisify(execFile);

const USAGE = `usage: npm run bench -- [options]
  --duration S       seconds of measured load per server (default 10)
  --warmup S         seconds of load before each measured run (default 2)
  --connections N    wrk connections (default 32)
  --threads N        wrk threads (default 1)
  --timeout S        wrk per-request timeout (default 5)
  --iterations N     instantiations timed per guest (default 200)
  --sleepers N       concurrent requests in the memory benchmark (default 1000)
  --sleep-ms MS      how long each of them sleeps (default 1000)
  --guests LIST      ${GUESTS.map((g) => g.id).join(',')} (default all)
  --targets LIST     ${TARGETS.map((t) => t.id).join(',')} (default all)
  --only LIST        ${SECTIONS.join(',')} (default all)
  --fib-n N          mixed: the computing route is /fib?n=N (default ${DEFAULT_FIB_N})
  --fib-share P      mixed: its share of requests, 0-1 (default 0.1; the rest go to /ok)
  --fib-connections K mixed: instead, K connections send only /fib, the others only /ok
  --mixed-targets L  mixed: ${MIXED_TARGETS.map((t) => t.id).join(',')} (default all)
  --kv-ms MS         key-value: milliseconds each operation is timed per backend (default 600)
  --out FILE         raw results (default bench/results/latest.json)`;

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '32' },
      threads: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '5' },
      iterations: { type: 'string', default: '200' },
      sleepers: { type: 'string', default: '1000' },
      'sleep-ms': { type: 'string', default: '1000' },
      guests: { type: 'string', default: GUESTS.map((g) => g.id).join(',') },
      targets: { type: 'string', default: TARGETS.map((t) => t.id).join(',') },
      only: { type: 'string', default: SECTIONS.join(',') },
      'fib-n': { type: 'string', default: String(DEFAULT_FIB_N) },
      'fib-share': { type: 'string', default: '0.1' },
      'fib-connections': { type: 'string', default: '0' },
      'mixed-targets': { type: 'string', default: MIXED_TARGETS.map((t) => t.id).join(',') },
      'kv-ms': { type: 'string', default: '600' },
      out: { type: 'string', default: join(ROOT, 'bench/results/latest.json') },
      help: { type: 'boolean', default: false },
    },
  });
  const number = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} ${values[name]}: expected a number ≥ 0`);
    return n;
  };
  const list = <T extends string>(
    name: 'guests' | 'targets' | 'only' | 'mixed-targets',
    known: readonly T[],
  ): T[] => {
    const items = (values[name] as string).split(',').filter(Boolean);
    const unknown = items.filter((i) => !known.includes(i as T));
    if (unknown.length)
      throw new Error(`--${name}: unknown ${unknown.join(', ')} (choose from ${known.join(', ')})`);
    return items as T[];
  };
  return {
    help: values.help,
    durationS: number('duration'),
    warmupS: number('warmup'),
    connections: number('connections'),
    threads: number('threads'),
    timeoutS: number('timeout'),
    iterations: number('iterations'),
    sleepers: number('sleepers'),
    sleepMs: number('sleep-ms'),
    guests: list(
      'guests',
      GUESTS.map((g) => g.id),
    ),
    targets: list(
      'targets',
      TARGETS.map((t) => t.id),
    ),
    sections: list('only', SECTIONS),
    fibN: number('fib-n'),
    fibShare: Math.min(1, number('fib-share')),
    fibConnections: Math.floor(number('fib-connections')),
    mixedTargets: list(
      'mixed-targets',
      MIXED_TARGETS.map((t) => t.id),
    ),
    kvMs: number('kv-ms'),
    out: values.out as string,
  };
}

async function machine(wrk: string | undefined): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  let wrkVersion = 'wrk (not used)';
  if (wrk) {
    // `wrk -v` prints its version and exits non-zero.
    const out = await run(wrk, ['-v']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    wrkVersion = out.stdout.split('\n')[0]?.replace(/\s+Copyright.*/, '') || 'wrk';
  }
  const jco = JSON.parse(readFileSync(join(ROOT, 'node_modules/@bytecodealliance/jco/package.json'), 'utf8'));
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    ramGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.versions.node,
    wrk: wrkVersion,
    jco: jco.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
      ' ',
    ),
  };
}

const progress = (message: string) => process.stderr.write(`${message}\n`);

async function microProcess<T>(args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bench/micro.ts'), ...args], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout) as T;
}

async function runMicro(guestIds: string[], iterations: number): Promise<MicroResults | { error: string }> {
  const results: MicroResults = { instantiation: [], hostCalls: [] };
  try {
    for (const guest of GUESTS.filter((g) => guestIds.includes(g.id))) {
      for (const binder of ['skiff', 'jco']) {
        progress(`micro instantiation, ${guest.label}, --binder ${binder} …`);
        results.instantiation.push(
          await microProcess([
            `--guest`,
            `${guest.id}=${join(ROOT, guest.file)}`,
            '--iterations',
            String(iterations),
            '--binder',
            binder,
          ]),
        );
      }
    }
    for (const [index, path] of HOST_CALL_PATHS.entries()) {
      progress(`micro host call: ${path} …`);
      results.hostCalls.push(await microProcess(['--host-call', String(index)]));
    }
    return results;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: (err.stderr || err.message).trim().split('\n').slice(-3).join(' ') };
  }
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const wrk = findWrk();
  if (opts.sections.includes('http') && !wrk) {
    process.stderr.write(
      'bench: wrk is not installed. Install it (Debian/Ubuntu: `sudo apt-get install wrk`; macOS: `brew install wrk`),\n' +
        'or skip the HTTP section: npm run bench -- --only micro,memory\n',
    );
    return 1;
  }
  const logDir = join(dirname(opts.out), 'logs');
  mkdirSync(logDir, { recursive: true });
  const guests = GUESTS.filter((g) => opts.guests.includes(g.id));
  const results: BenchResults & { mixed?: MixedSection; keyValue?: KeyValueSection } = {
    machine: await machine(wrk),
    options: { ...opts },
    // The key-value section runs no guest: it alone needs no built fixture.
    guests: opts.sections.some((s) => s !== 'key-value')
      ? guests.map((g) => ({ ...g, bytes: statSync(join(ROOT, g.file)).size }))
      : [],
    http: [],
    memory: [],
  };
  const started = performance.now();

  if (opts.sections.includes('http') && wrk) {
    const load = {
      durationS: opts.durationS,
      connections: opts.connections,
      threads: opts.threads,
      timeoutS: opts.timeoutS,
    };
    for (const guest of guests) {
      for (const target of TARGETS.filter((t) => opts.targets.includes(t.id))) {
        progress(`http  ${guest.id.padEnd(3)} ${target.label} …`);
        const row = await benchTarget(wrk, ROOT, logDir, guest, target, load, opts.warmupS);
        results.http.push(row);
        progress(
          row.result
            ? `      ${Math.round(row.result.okPerSec)} req/s, p99 ${row.result.p99Us ?? '-'} µs`
            : `      not run: ${row.error?.split('\n')[0]}`,
        );
      }
    }
  }
  if (opts.sections.includes('micro')) {
    results.micro = await runMicro(opts.guests, opts.iterations);
  }
  if (opts.sections.includes('memory')) {
    for (const target of sleepTargets([1, undefined])) {
      progress(`memory ${opts.sleepers} × ${opts.sleepMs} ms sleep, ${target.label} …`);
      const row = await benchSleepers(ROOT, logDir, target, opts.sleepers, opts.sleepMs);
      results.memory.push(row);
      progress(
        row.result
          ? `      ${Math.round(row.result.wallMs)} ms`
          : `      not run: ${row.error?.split('\n')[0]}`,
      );
    }
  }

  if (opts.sections.includes('mixed')) {
    results.mixed = await benchMixed(
      ROOT,
      logDir,
      {
        connections: opts.connections,
        warmupS: opts.warmupS,
        durationS: opts.durationS,
        timeoutS: opts.timeoutS,
        fibN: opts.fibN,
        fibShare: opts.fibShare,
        fibConnections: Math.min(opts.fibConnections, opts.connections),
      },
      opts.mixedTargets,
      progress,
    );
  }

  if (opts.sections.includes('key-value')) {
    results.keyValue = await benchKeyValue(opts.kvMs, progress);
  }

  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  const mixed = results.mixed ? `\n\n${mixedTable(results.mixed)}` : '';
  const keyValue = results.keyValue ? `\n\n${keyValueTable(results.keyValue)}` : '';
  process.stdout.write(`${toMarkdown(results, targetsTable(results))}${mixed}${keyValue}\n`);
  progress(
    `\nbench: done in ${Math.round((performance.now() - started) / 1000)} s; raw results in ${opts.out}`,
  );
  return 0;
}

process.exitCode = await main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : e}\n\n${USAGE}\n`);
  return 2;
});
