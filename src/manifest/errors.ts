import path from 'node:path';

/** One thing wrong with a manifest (or with the CLI flags that stand in for one). */
export interface ManifestProblem {
  /** Absolute manifest path, or a flag name such as `--route` when the app comes from CLI flags. */
  file: string;
  line: number | undefined;
  /** Only for TOML syntax errors, where the parser knows it. */
  column?: number | undefined;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  hint: string | undefined;
}

/**
 * Everything wrong with a manifest at once, so a user fixes it in one pass.
 * The message has one problem per line: `skiff.toml:12: unknown key "sorce" in [component.api] — did you mean "source"?`
 */
export class ManifestError extends Error {
  override name = 'ManifestError';
  readonly problems: ManifestProblem[];

  constructor(problems: ManifestProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

export function formatProblem(problem: ManifestProblem): string {
  let where = displayFile(problem.file);
  if (problem.line !== undefined) where += `:${problem.line}`;
  if (problem.line !== undefined && problem.column !== undefined) where += `:${problem.column}`;
  return `${where}: ${problem.message}${problem.hint ? ` — ${problem.hint}` : ''}`;
}

/** A path relative to the working directory when it lies inside it (shorter to read), else as given. */
export function displayFile(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(process.cwd(), file);
  const outside =
    relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  return outside ? file : relative;
}
