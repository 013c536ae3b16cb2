/**
 * `skiff inspect [--json] FILE.wasm` — what a component imports and exports, its size and
 * producers, and whether Skiff provides all it imports; `--json` says the same as one object.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkImports, UnprovidedImportError } from '../capabilities/provided.ts';
import { ComponentLoadError } from '../engine/errors.ts';
import { inspectReport } from './inspect-report.ts';
import { parseOptions, UsageError } from './options.ts';

const SPEC = { json: 'boolean' } as const;

export async function inspect(argv: string[]): Promise<number> {
  const options = parseOptions(argv, SPEC, false);
  const [file, ...extra] = options.positionals;
  if (!file || extra.length > 0) throw new UsageError('usage: skiff inspect [--json] FILE.wasm');
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new ComponentLoadError(file, `cannot read the file (${e.code})`, 'check the path');
  });
  const report = await inspectReport(file, bytes);
  if (options.values.get('json') === true) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const out = (text: string) => process.stdout.write(text);
  out(`${file}: ${report.kind === 'component' ? 'component' : 'core module'}, ${report.size} bytes\n`);
  for (const [field, entries] of Object.entries(report.producers))
    out(`${field}: ${entries.map(({ name, version }) => `${name} ${version}`.trim()).join(', ')}\n`);
  if (report.wit === null) return 0;
  out(`\n${report.wit}`);
  // What `skiff up` would refuse at load, said before anyone tries.
  try {
    checkImports(basename(file, '.wasm'), { imports: report.imports.map((i) => i.name) });
    out('\nSkiff provides every interface this component imports.\n');
  } catch (e) {
    if (!(e instanceof UnprovidedImportError)) throw e;
    out(`\n${e.message}\n`);
  }
  return 0;
}
