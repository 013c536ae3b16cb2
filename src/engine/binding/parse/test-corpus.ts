/**
 * For tests: every component the parser must read. The repo's fixtures (components as built, and
 * preview1 core modules adapted the way `skiff run` adapts them), and the WASI conformance suite
 * beside the repo: its WASI 0.3 components as they are, its preview1 modules adapted into WASI 0.2
 * components.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { adaptPreview1 } from '../../adapt-preview1.ts';

export const REPO = resolve(import.meta.dirname, '..', '..', '..', '..');
export const SUITE_ROOT = resolve(REPO, '..', 'shared', 'wasi-testsuite');

export interface CorpusEntry {
  /** Path relative to the repo (or to the suite), `+ preview1 adapter` when adapted. */
  name: string;
  group: 'fixture' | 'suite';
  load(): Promise<Uint8Array>;
}

function wasmFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'target' && entry.name !== 'node_modules') files.push(...wasmFiles(path));
    } else if (entry.name.endsWith('.wasm')) files.push(path);
  }
  return files.sort();
}

const isComponent = (bytes: Uint8Array) => bytes[6] === 1 && bytes[7] === 0;

function entries(root: string, files: string[], group: CorpusEntry['group']): CorpusEntry[] {
  return files.map((path) => {
    const name = relative(root, path);
    // The layer byte tells a component from a core module without reading the whole file.
    const head = new Uint8Array(8);
    const fd = openSync(path, 'r');
    readSync(fd, head, 0, 8, 0);
    closeSync(fd);
    if (isComponent(head)) return { name, group, load: async () => readFileSync(path) };
    return {
      name: `${name} + preview1 adapter`,
      group,
      load: () => adaptPreview1(readFileSync(path), 'command'),
    };
  });
}

export function fixtureCorpus(): CorpusEntry[] {
  return entries(REPO, wasmFiles(join(REPO, 'fixtures')), 'fixture');
}

export const suiteAvailable = (): boolean => existsSync(SUITE_ROOT);

export function suiteCorpus(): CorpusEntry[] {
  return suiteAvailable() ? entries(SUITE_ROOT, wasmFiles(SUITE_ROOT), 'suite') : [];
}
