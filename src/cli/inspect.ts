/**
 * `skiff inspect FILE.wasm` — what a component imports and exports, its size and producers, and
 * whether Skiff provides all it imports.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { componentWit, metadataShow } from '@bytecodealliance/jco-transpile/wasm-tools';
import { checkImports, UnprovidedImportError } from '../capabilities/provided.ts';
import { parseComponent } from '../engine/binding/parse/index.ts';
import { ComponentLoadError } from '../engine/errors.ts';
import { wasmKind } from '../engine/wasm-kind.ts';
import { UsageError } from './options.ts';

export async function inspect(argv: string[]): Promise<number> {
  const [file] = argv;
  if (!file || argv.length > 1) throw new UsageError('usage: skiff inspect FILE.wasm');
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new ComponentLoadError(file, `cannot read the file (${e.code})`, 'check the path');
  });
  const kind = wasmKind(bytes, file);
  process.stdout.write(
    `${file}: ${kind === 'component' ? 'component' : 'core module'}, ${bytes.length} bytes\n`,
  );
  const [top] = await metadataShow(bytes);
  for (const [field, entries] of top?.producers ?? []) {
    process.stdout.write(
      `${field}: ${entries.map(([name, version]) => `${name} ${version}`.trim()).join(', ')}\n`,
    );
  }
  if (kind !== 'component') return 0;
  process.stdout.write(`\n${await componentWit(bytes)}`);
  // What `skiff up` would refuse at load, said before anyone tries.
  try {
    checkImports(basename(file, '.wasm'), {
      imports: parseComponent(bytes).world.imports.map((i) => i.name),
    });
    process.stdout.write('\nSkiff provides every interface this component imports.\n');
  } catch (e) {
    if (!(e instanceof UnprovidedImportError)) throw e;
    process.stdout.write(`\n${e.message}\n`);
  }
  return 0;
}
