/**
 * Builds what the published package runs: src/ → dist/ as plain JavaScript with source maps, and
 * `.d.ts` declarations for the embedding API (tsconfig.build.json). Node does not strip types under
 * node_modules, so an installed Skiff cannot run its TypeScript; the repository itself still does.
 * `npm run build` and `npm pack` (prepack) run this.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const SRC = join(REPO, 'src');
const DIST = join(REPO, 'dist');
/** What `import … from 'skiff-wasm'` sees: every declaration it reaches must be built. */
const PUBLIC_TYPES = join(DIST, 'embed', 'index.d.ts');

/** `file(line,col): error TS4094: …`: the declaration emitter's own errors are TS4000–TS4999. */
const DIAGNOSTIC = /^(.+?)\(\d+,\d+\): error TS(\d+): /;

/** The `.d.ts` files reachable from `entry` through relative imports, and those missing. */
function declarationClosure(entry: string): { found: string[]; missing: string[] } {
  const found: string[] = [];
  const missing: string[] = [];
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!existsSync(file)) {
      missing.push(file);
      continue;
    }
    found.push(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      // Declarations keep the sources' `.ts` specifiers; TypeScript resolves them to the `.d.ts`.
      queue.push(join(dirname(file), (specifier as string).replace(/\.(ts|js)$/, '.d.ts')));
    }
  }
  return { found, missing };
}

// From empty: a module renamed or deleted in src/ must not live on in the package.
rmSync(DIST, { recursive: true, force: true });

const tsc = spawnSync(
  join(REPO, 'node_modules', '.bin', 'tsc'),
  ['-p', 'tsconfig.build.json', '--pretty', 'false'],
  {
    cwd: REPO,
    encoding: 'utf8',
  },
);
if (tsc.error) throw new Error(`could not start tsc (run npm install first): ${tsc.error.message}`);
const lines = `${tsc.stdout}${tsc.stderr}`.split('\n').filter((line) => line.trim() !== '');
// Indented lines continue the diagnostic above them (the chain of a message).
const diagnostics = lines
  .filter((line) => !/^\s/.test(line))
  .map((line) => ({ line, match: DIAGNOSTIC.exec(line) }));
const fatal = diagnostics.filter(({ match }) => !match?.[2]?.startsWith('4'));
if (fatal.length > 0) {
  process.stderr.write(`build failed: tsc -p tsconfig.build.json reported:\n${lines.join('\n')}\n`);
  process.exit(1);
}

// An internal module whose inferred types cannot be written as a declaration (e.g. a function
// returning a class expression) gets none; that is fine unless the public types reach it.
const { found, missing } = declarationClosure(PUBLIC_TYPES);
if (missing.length > 0) {
  process.stderr.write(
    `build failed: the embedding API's types need declarations that were not emitted:\n` +
      `${missing.map((file) => `  ${relative(REPO, file)}`).join('\n')}\n${lines.join('\n')}\n` +
      'Give the exported functions there explicit types, or keep those types out of src/embed/index.ts.\n',
  );
  process.exit(1);
}
if (tsc.status !== 0 && diagnostics.length === 0) {
  process.stderr.write(`build failed: tsc exited with ${tsc.status} and printed nothing\n`);
  process.exit(1);
}

// Files the code reads beside itself at run time (e.g. admin/dashboard/), as they are in src/.
cpSync(SRC, DIST, {
  recursive: true,
  filter: (path) => !path.endsWith('.ts') && !/\.test\./.test(path),
});

const skipped = new Set(diagnostics.map(({ match }) => match?.[1]).filter((file) => file !== undefined));
// On stderr: `npm pack --json` prints its report on stdout.
process.stderr.write(
  `built dist/ (${found.length} declarations reach the public API` +
    (skipped.size > 0 ? `; no declarations for internal ${[...skipped].join(', ')}` : '') +
    ')\n',
);
