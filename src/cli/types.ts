/**
 * `skiff types FILE.wasm [-o OUT.d.ts]` — TypeScript declarations of a component's exports as
 * `loadComponent` shows them (src/embed/types-dts.ts), on stdout or into a file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { UnsupportedExportError } from '../embed/export-plan.ts';
import { componentDeclarations } from '../embed/types-dts.ts';
import { ComponentParseError, parseComponent } from '../engine/binding/parse/index.ts';
import { ComponentLoadError } from '../engine/errors.ts';
import { wasmKind } from '../engine/wasm-kind.ts';
import { parseOptions, UsageError } from './options.ts';

const SPEC = { out: 'string' } as const;

const USAGE = 'usage: skiff types FILE.wasm [-o OUT.d.ts]';

export async function types(argv: string[]): Promise<number> {
  // `-o` is the short form of `--out`, as compilers spell it.
  const options = parseOptions(
    argv.map((a) => (a === '-o' ? '--out' : a)),
    SPEC,
    false,
  );
  const [file, ...extra] = options.positionals;
  if (!file || extra.length > 0) throw new UsageError(USAGE);
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new ComponentLoadError(file, `cannot read the file (${e.code})`, 'check the path');
  });
  if (wasmKind(bytes, file) === 'core-module')
    throw new ComponentLoadError(
      file,
      'this is a core WebAssembly module, which has no typed exports',
      'build a component (e.g. `cargo build --target wasm32-wasip2`), or adapt it with `wasm-tools component new`',
    );
  let declarations: string;
  try {
    declarations = componentDeclarations(parseComponent(bytes).world, basename(file));
  } catch (e) {
    if (e instanceof ComponentParseError)
      throw new ComponentLoadError(
        file,
        `not a valid component: ${e.message.split('\n  hint: ')[0]}`,
        e.hint,
      );
    if (e instanceof UnsupportedExportError) throw new ComponentLoadError(file, e.message);
    throw e;
  }
  const out = options.values.get('out');
  if (typeof out !== 'string') {
    process.stdout.write(declarations);
    return 0;
  }
  await writeFile(out, declarations);
  process.stdout.write(`wrote ${out}\n`);
  return 0;
}
