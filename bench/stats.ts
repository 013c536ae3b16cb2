/** Percentiles of a list of samples, all in microseconds. */
export interface TimingStats {
  iterations: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  minUs: number;
  maxUs: number;
}

/** Nearest-rank percentiles (no interpolation), so every number reported is one that was measured. */
export function stats(samplesUs: number[]): TimingStats {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return {
    iterations: sorted.length,
    p50Us: at(0.5),
    p99Us: at(0.99),
    meanUs: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    minUs: sorted[0] as number,
    maxUs: sorted[sorted.length - 1] as number,
  };
}
