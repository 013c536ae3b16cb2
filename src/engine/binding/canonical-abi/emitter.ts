/**
 * Collects the source of one generated function: statements with unique temporaries, the
 * constants and resource types it refers to. Generated code names (all fixed, see `generate.ts`):
 * `rt` helpers by their own names, `cx` the LiftLowerContext, `inst` its instance, `H` the
 * handle table, `m` the GuestMemory, `R<i>` resource types, `K<i>` constants.
 */
import type { ResourceType } from '../value-types.ts';
import type { StringEncoding } from './context.ts';

/** The runtime string helpers are named per encoding: `liftStringUtf8`, `lowerStringLatin1Utf16`, … */
export const ENCODING_SUFFIX: Record<StringEncoding, string> = {
  utf8: 'Utf8',
  utf16: 'Utf16',
  'latin1+utf16': 'Latin1Utf16',
};

export class Emitter {
  readonly #lines: string[] = [];
  readonly #constants: string[] = [];
  #depth = 0;
  #counter = 0;

  readonly stringEncoding: StringEncoding;
  /** Every resource type the function mentions, in a fixed order (see `collectResources`). */
  readonly resources: readonly ResourceType[];
  /** Where a borrow lowered into the guest is scoped: the sync export call, or an async call's task. */
  borrowScope = 'inst.syncTask';

  constructor(stringEncoding: StringEncoding, resources: readonly ResourceType[]) {
    this.stringEncoding = stringEncoding;
    this.resources = resources;
  }

  tmp(prefix: string): string {
    return `${prefix}${this.#counter++}`;
  }

  line(code: string): void {
    this.#lines.push('  '.repeat(this.#depth) + code);
  }

  open(code: string): void {
    this.line(code);
    this.#depth++;
  }

  close(code = '}'): void {
    this.#depth--;
    this.line(code);
  }

  /** Closes a block and opens the next at the same level, e.g. `} else {`. */
  reopen(code: string): void {
    this.#depth--;
    this.line(code);
    this.#depth++;
  }

  /** Binds `expr` to a new constant and returns its name (for values used more than once). */
  bind(expr: string, prefix = 'v'): string {
    if (/^[A-Za-z_$][\w$]*$/.test(expr)) return expr;
    const name = this.tmp(prefix);
    this.line(`const ${name} = ${expr};`);
    return name;
  }

  resource(rt: ResourceType): string {
    const i = this.resources.indexOf(rt);
    if (i < 0) throw new Error(`resource ${rt.name} was not collected`);
    return `R${i}`;
  }

  /** A constant of the generated code (JSON-serializable), declared once per compiled function. */
  constant(value: unknown): string {
    const name = `K${this.#constants.length}`;
    this.#constants.push(`const ${name} = ${JSON.stringify(value)};`);
    return name;
  }

  get constants(): readonly string[] {
    return this.#constants;
  }

  get lines(): readonly string[] {
    return this.#lines;
  }
}

/** `base + offset` as a simple expression (addresses are identifiers or `(identifier + n)`). */
export function addr(base: string, offset: number): string {
  if (offset === 0) return base;
  const sum = /^\(([\w$]+) \+ (\d+)\)$/.exec(base);
  if (sum) return `(${sum[1]} + ${Number(sum[2]) + offset})`;
  return `(${base} + ${offset})`;
}
