/**
 * A component the parser refuses. The message says what is wrong, where (the section and the byte
 * offset in the file, and the WIT name when one is known) and what to do, so a user who only has
 * the .wasm can act on it. The loader adds the file name.
 */
export interface ParseErrorPlace {
  /** The section being read, e.g. `type`, `canon`, `import` (see SECTION_NAMES). */
  section?: string | undefined;
  /** Byte offset from the start of the outermost component. */
  offset?: number | undefined;
  /** The import, export or function the problem is in, e.g. `wasi:io/streams@0.2.10`. */
  witName?: string | undefined;
}

const DEFAULT_HINT =
  'rebuild the component with a current toolchain (cargo component, wasm-tools, componentize-js) and check it with `wasm-tools validate`';

export class ComponentParseError extends Error {
  override name = 'ComponentParseError';
  readonly problem: string;
  readonly section: string | undefined;
  readonly offset: number | undefined;
  readonly witName: string | undefined;
  readonly hint: string;

  constructor(problem: string, place: ParseErrorPlace = {}, hint: string = DEFAULT_HINT) {
    super(`${problem}${describePlace(place)}\n  hint: ${hint}`);
    this.problem = problem;
    this.section = place.section;
    this.offset = place.offset;
    this.witName = place.witName;
    this.hint = hint;
  }
}

function describePlace({ section, offset, witName }: ParseErrorPlace): string {
  const parts: string[] = [];
  if (witName !== undefined) parts.push(`in \`${witName}\``);
  if (section !== undefined) parts.push(`in the ${section} section`);
  if (offset !== undefined) parts.push(`at byte ${offset} (0x${offset.toString(16)})`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Hint for features Skiff decodes but cannot run yet. */
export const UNSUPPORTED_HINT =
  'Skiff does not support this yet; run the component with `--binder jco`, or file an issue with the component attached';
