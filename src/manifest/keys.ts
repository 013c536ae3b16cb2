/**
 * The keys a version-1 manifest accepts at each spot. The loader rejects every other key, and
 * schema/skiff.schema.json must list exactly these (schema.test.ts checks it).
 */
export const MANIFEST_KEYS = {
  topLevel: ['skiff_manifest_version', 'application', 'trigger', 'component', 'variables'],
  application: ['name', 'version', 'description'],
  trigger: ['http'],
  httpTrigger: ['route', 'component'],
  privateRoute: ['private'],
  component: [
    'source',
    'description',
    'environment',
    'files',
    'allowed_outbound_hosts',
    'allowed_bind_addresses',
    'key_value_stores',
    'variables',
    'build',
    'lifecycle',
    'timeout',
    'max_cpu',
    'max_memory',
    'max_concurrent',
    'middleware',
  ],
  build: ['command', 'workdir', 'watch'],
  lifecycle: ['mode', 'max_requests', 'idle_timeout', 'prewarm', 'instance_concurrency'],
  fileMount: ['source', 'destination', 'read_only'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Spin keys Skiff knows but cannot honour yet. Ignoring them would give an app that silently lacks
 * what it asked for, so they are errors that say so.
 */
export const NOT_YET_SUPPORTED_KEYS = {
  topLevel: [],
  component: ['sqlite_databases', 'ai_models'],
} as const satisfies Record<string, readonly string[]>;

/** `lifecycle = "fresh"` / `mode = "reuse"`: how a component's instances are made and kept. */
export const LIFECYCLE_MODES = ['fresh', 'reuse'] as const;

/** Component ids: Spin's kebab-case, plus `_` (`hello-js`, `api_v2`). */
export const COMPONENT_ID = /^[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*$/;
/** Application names: lower-case letters, digits, `-` and `_`. */
export const APPLICATION_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** A valid id close to `text`, for hints: `Hello World` → `hello-world`. */
export function toIdentifier(text: string, fallback: string): string {
  const id = text
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^[-_0-9]+|-+$/g, '');
  return id || fallback;
}

/**
 * The candidate `input` was most likely meant to be: within two edits (a swap counts as one),
 * or one a prefix of the other (`env` → `environment`). Undefined when nothing is close.
 */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const typed = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const known = candidate.toLowerCase();
    const distance = editDistance(typed, known);
    const isPrefix =
      Math.min(typed.length, known.length) >= 3 && (known.startsWith(typed) || typed.startsWith(known));
    // Two edits on a two-letter word would match almost anything, so short inputs need fewer.
    const score =
      distance <= 2 && distance < typed.length ? distance : isPrefix ? 3 : Number.POSITIVE_INFINITY;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  const at = (i: number, j: number): number => (rows[i] as number[])[j] as number;
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = d;
    }
  }
  return at(a.length, b.length);
}
