/** A component that cannot be loaded: says which file, what is wrong, and how to fix it. */
export class ComponentLoadError extends Error {
  override name = 'ComponentLoadError';
  readonly file: string;
  readonly hint: string | undefined;
  constructor(file: string, problem: string, hint?: string) {
    super(`${file}: ${problem}${hint ? `\n  hint: ${hint}` : ''}`);
    this.file = file;
    this.hint = hint;
  }
}
