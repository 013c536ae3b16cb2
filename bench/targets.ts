/** Issue #3's targets, checked against one run's results. */
import type { HttpRow } from './http.ts';
import { type BenchResults, formatUs } from './report.ts';

interface Check {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const rate = (row: HttpRow | undefined) => row?.result?.okPerSec;

function ratioChecks(results: BenchResults): Check[] {
  const checks: Check[] = [];
  for (const guest of results.guests) {
    const rows = results.http.filter((r) => r.guest === guest.id);
    const base = rate(rows.find((r) => r.isolation === 'baseline'));
    for (const [lifecycle, goal, jcoId] of [
      ['reuse', 0.7, 'jco-shared'],
      ['fresh', 0.5, 'jco-instance'],
    ] as const) {
      const skiffRows = rows.filter(
        (r) =>
          r.isolation === lifecycle &&
          r.target.startsWith('skiff') &&
          !r.target.endsWith('-jco') &&
          r.result &&
          !r.error,
      );
      if (!base || skiffRows.length === 0) continue;
      const best = Math.max(...skiffRows.map((r) => rate(r) as number));
      // Error answers are not throughput: a row that served any cannot meet a target.
      const failed = skiffRows.reduce((n, r) => n + (r.result?.errors.status ?? 0), 0);
      const failures = failed > 0 ? `; ${failed} non-2xx answers` : '';
      checks.push({
        target: `${guest.label}: Skiff \`${lifecycle}\` ≥ ${goal}× node:http`,
        measured:
          skiffRows.map((r) => `${((rate(r) as number) / base).toFixed(2)}× (${r.label})`).join('; ') +
          failures,
        met: failed === 0 && best / base >= goal,
      });
      const jco = rate(rows.find((r) => r.target === jcoId));
      if (jco === undefined) continue;
      checks.push({
        target: `${guest.label}: Skiff \`${lifecycle}\` > 10× ${jcoId === 'jco-shared' ? '`jco serve`' : '`jco serve --isolate-requests instance`'}`,
        measured:
          (jco > 0
            ? `${(best / jco).toFixed(1)}× (${Math.round(best)} vs ${Math.round(jco)} req/s)`
            : `jco answered nothing after the warm-up; Skiff ${Math.round(best)} req/s`) + failures,
        met: failed === 0 && (jco > 0 ? best / jco > 10 : best > 0),
      });
    }
  }
  return checks;
}

function microChecks(results: BenchResults): Check[] {
  const micro = results.micro;
  if (!micro || 'error' in micro) return [];
  const checks: Check[] = [];
  for (const [guest, goalUs, what] of [
    ['c', 100, 'small compiled guest (C)'],
    ['js', 3000, 'componentize-js guest'],
  ] as const) {
    const m = micro.instantiation.find((i) => i.guest === guest && (i.binder ?? 'skiff') === 'skiff');
    if (!m) continue;
    checks.push({
      target: `Instantiation p50 ≤ ${formatUs(goalUs)}, ${what}`,
      measured: formatUs(m.instantiate.p50Us),
      met: m.instantiate.p50Us <= goalUs,
    });
  }
  const stub = micro.hostCalls.find((h) => h.path.startsWith('Skiff instance, stub'));
  if (stub)
    checks.push({
      target: 'Host-call overhead ≤ 200 ns (trivial import)',
      measured: `${stub.medianNs.toFixed(0)} ns`,
      met: stub.medianNs <= 200,
    });
  return checks;
}

function memoryChecks(results: BenchResults): Check[] {
  const done = results.memory.filter((r) => r.result && !r.error && r.id.startsWith('skiff'));
  if (done.length === 0) return [];
  return [
    {
      target: `${done[0]?.result?.requests} sleeping requests (1 s each) complete in < 1.5 s`,
      measured: done
        .map((r) => {
          const res = r.result as NonNullable<typeof r.result>;
          const ok = res.outcomes['200'] ?? 0;
          return `${formatUs(res.wallMs * 1000)}, ${ok}/${res.requests} OK (${r.label})`;
        })
        .join('; '),
      met: done.some(
        (r) => r.result && r.result.wallMs < 1500 && r.result.outcomes['200'] === r.result.requests,
      ),
    },
  ];
}

export function targetsTable(results: BenchResults): string {
  const checks = [...ratioChecks(results), ...microChecks(results), ...memoryChecks(results)];
  if (checks.length === 0) return '';
  const mark = (met: boolean | undefined) => (met === undefined ? '?' : met ? 'yes' : 'no');
  return [
    '### Against the targets of issue #3',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...checks.map((c) => `| ${c.target} | ${c.measured} | ${mark(c.met)} |`),
  ].join('\n');
}
