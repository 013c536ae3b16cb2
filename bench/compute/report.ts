/** The results of bench/interrupt-overhead.ts, and their Markdown form. */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { TimingStats } from '../stats.ts';

export interface KernelResult {
  name: string;
  arg: number;
  what: string;
  /** Kept out of the geometric mean. */
  worstCase: boolean;
  /** What both instances returned, as an unsigned 32-bit number. */
  checksum: number;
  plain: TimingStats;
  instrumented: TimingStats;
  /** Median instrumented time over median plain time. */
  ratio: number;
  /** Fastest instrumented run over fastest plain run. Other load on the machine only adds time, so
   * this is the steadier figure when the machine is not idle. */
  minRatio: number;
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  v8: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
}

export interface Summary {
  /** Geometric means of `ratio` and `minRatio` over the kernels that are not worst cases. */
  geometricMean: { kernels: string[]; ratio: number; minRatio: number } | null;
  worstCases: Array<{ name: string; ratio: number; minRatio: number }>;
}

export interface OverheadResults {
  machine: Machine;
  /** Sizes in bytes of the module as built and as instrumented. */
  module: { plain: number; instrumented: number };
  rounds: number;
  warmup: number;
  kernels: KernelResult[];
  summary: Summary;
}

export function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    node: process.versions.node,
    v8: process.versions.v8,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function geometricMean(values: number[]): number {
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

export function summarise(kernels: KernelResult[]): Summary {
  const typical = kernels.filter((k) => !k.worstCase);
  return {
    geometricMean:
      typical.length === 0
        ? null
        : {
            kernels: typical.map((k) => k.name),
            ratio: geometricMean(typical.map((k) => k.ratio)),
            minRatio: geometricMean(typical.map((k) => k.minRatio)),
          },
    worstCases: kernels
      .filter((k) => k.worstCase)
      .map(({ name, ratio, minRatio }) => ({ name, ratio, minRatio })),
  };
}

const ms = (us: number) => (us / 1000).toFixed(1);
const ratio = (r: number) => `${r.toFixed(3)} (${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%)`;

export function toMarkdown(results: OverheadResults): string {
  const { machine: m, module, rounds, warmup, kernels, summary } = results;
  const lines = [
    `${m.cpu}, ${m.cores} cores, Node ${m.node} (V8 ${m.v8}), load average ${m.loadAverage.join(' ')}`,
    ...(m.loadAverage[0] !== undefined && m.loadAverage[0] >= 0.5
      ? ['(the machine was not idle when the run started: expect noise, and see the ratio of fastest runs)']
      : []),
    `kernels.wasm: ${module.plain} bytes, instrumented ${module.instrumented} bytes; ` +
      `${warmup} warm-up and ${rounds} measured runs of each, alternating`,
    '',
    '| kernel | plain ms (median) | instrumented ms (median) | ratio | ratio of fastest runs |',
    '|---|--:|--:|--:|--:|',
    ...kernels.map(
      (k) =>
        `| ${k.name}${k.worstCase ? ' (worst case)' : ''} | ${ms(k.plain.p50Us)} | ${ms(k.instrumented.p50Us)} ` +
        `| ${ratio(k.ratio)} | ${ratio(k.minRatio)} |`,
    ),
    '',
  ];
  const mean = summary.geometricMean;
  if (mean) {
    lines.push(
      `geometric mean (${mean.kernels.join(', ')}): ${ratio(mean.ratio)}; of fastest runs ${ratio(mean.minRatio)}`,
    );
  }
  for (const w of summary.worstCases) {
    lines.push(`${w.name}, worst case: ${ratio(w.ratio)}; of fastest runs ${ratio(w.minRatio)}`);
  }
  return `${lines.join('\n')}\n`;
}
