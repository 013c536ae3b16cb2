/** `skiff inspect FILE.wasm` — what a component imports and exports, its size and producers. */
import { readFile } from 'node:fs/promises';
import { componentWit, metadataShow } from '@bytecodealliance/jco-transpile/wasm-tools';
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
  if (kind === 'component') process.stdout.write(`\n${await componentWit(bytes)}`);
  return 0;
}
