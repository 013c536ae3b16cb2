/**
 * Latencies counted in logarithmic bins: a few numbers per second and route, mergeable across
 * workers by adding counts, and percentiles within 4% of the exact value (each bin spans 8%).
 */

/** The lowest bin ends here; anything faster counts in it. */
const SMALLEST_MS = 0.01;
/** Each bin is this much wider than the one before. */
const GROWTH = 1.08;
const LOG_GROWTH = Math.log(GROWTH);
/** Up to about an hour; anything slower counts in the last bin. */
const BINS = Math.ceil(Math.log(3_600_000 / SMALLEST_MS) / LOG_GROWTH);

/** Bin index → count, only for bins that counted something. */
export type LatencyCounts = Map<number, number>;

export function binOf(ms: number): number {
  if (!(ms > SMALLEST_MS)) return 0;
  return Math.min(BINS, Math.ceil(Math.log(ms / SMALLEST_MS) / LOG_GROWTH));
}

/** The middle of a bin (geometrically), the value a percentile landing in it reports. */
function middleOf(bin: number): number {
  return bin === 0 ? SMALLEST_MS : SMALLEST_MS * GROWTH ** (bin - 0.5);
}

export function addTo(counts: LatencyCounts, bin: number, n = 1): void {
  counts.set(bin, (counts.get(bin) ?? 0) + n);
}

/** The `q` quantile (0–1) in milliseconds, rounded to 3 digits; null when nothing was counted. */
export function quantile(counts: LatencyCounts, q: number): number | null {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bin of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bin) as number;
    if (seen >= rank) return Number(middleOf(bin).toPrecision(3));
  }
  return null;
}
