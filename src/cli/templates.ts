/**
 * The app templates `skiff new` copies: each is a folder under templates/ whose files are copied with
 * `{{name}}` (the app and component id) and `{{name_snake}}` (the same with `_` for `-`, as Rust
 * names its output) filled in. A template may also ask for the repository's WASI WIT (its wit/deps/)
 * and for the WASI preview1 adapter that turns a wasi-libc module into a component.
 */
import { copyFile, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Template {
  id: string;
  language: string;
  /** One line for `skiff new --list`. */
  summary: string;
  /** Programs its build command needs (keys of toolchains.ts' table), for --list and the tests. */
  needs: string[];
  /** Copy the WASI 0.2.10 WIT packages into wit/deps/ (a template whose wit/world.wit names them). */
  wasiWit: boolean;
  /** Write wasmtime's WASI preview1 reactor adapter as wasi_snapshot_preview1.reactor.wasm. */
  preview1Adapter: boolean;
}

export const TEMPLATES: readonly Template[] = [
  {
    id: 'http-rust',
    language: 'Rust',
    summary: 'HTTP handler in Rust (wstd), built by cargo for wasm32-wasip2',
    needs: ['cargo'],
    wasiWit: false,
    preview1Adapter: false,
  },
  {
    id: 'http-ts',
    language: 'TypeScript',
    summary: 'HTTP handler in TypeScript (fetch event), built by tsc and componentize-js',
    needs: ['npm'],
    wasiWit: true,
    preview1Adapter: false,
  },
  {
    id: 'http-js',
    language: 'JavaScript',
    summary: 'HTTP handler in JavaScript (fetch event), built by componentize-js',
    needs: ['npm'],
    wasiWit: true,
    preview1Adapter: false,
  },
  {
    id: 'http-py',
    language: 'Python',
    summary: 'HTTP handler in Python, built by componentize-py',
    needs: ['componentize-py'],
    wasiWit: true,
    preview1Adapter: false,
  },
  {
    id: 'http-c',
    language: 'C',
    summary: 'HTTP handler in C, built by wit-bindgen, clang with wasi-libc and wasm-tools',
    needs: ['wit-bindgen', 'clang', 'wasm-tools'],
    wasiWit: true,
    preview1Adapter: true,
  },
];

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEMPLATES_DIR = join(REPO, 'templates');
const WIT_DEPS = join(REPO, 'wit', 'deps');
/** The WASI 0.2.10 packages (wasi:http and what it refers to), and the license they come under. */
const WASI_PACKAGES = ['cli', 'clocks', 'filesystem', 'http', 'io', 'random', 'sockets'];
const WASI_LICENSE = 'LICENSE.md';
/** npm leaves `.gitignore` out of packages, so templates keep it under this name. */
const GITIGNORE = 'gitignore';

/** The values placeholders take for an app named `name`. */
export function placeholders(name: string): Record<string, string> {
  return { name, name_snake: name.replaceAll('-', '_') };
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}

async function copyTemplateFolder(from: string, to: string, values: Record<string, string>): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name === GITIGNORE ? '.gitignore' : entry.name);
    if (entry.isDirectory()) await copyTemplateFolder(source, target, values);
    else await writeFile(target, fill(await readFile(source, 'utf8'), values));
  }
}

/** jco ships wasmtime's preview1 adapters; its package exports hide lib/, so go from its entry point. */
function preview1ReactorAdapter(): string {
  const jcoDir = dirname(dirname(fileURLToPath(import.meta.resolve('@bytecodealliance/jco'))));
  return join(jcoDir, 'lib', 'wasi_snapshot_preview1.reactor.wasm');
}

/** Writes the template's files into `folder` (which exists and is empty, or does not exist yet). */
export async function instantiateTemplate(template: Template, folder: string, name: string): Promise<void> {
  await copyTemplateFolder(join(TEMPLATES_DIR, template.id), folder, placeholders(name));
  if (template.wasiWit) {
    const deps = join(folder, 'wit', 'deps');
    await mkdir(deps, { recursive: true });
    for (const pkg of WASI_PACKAGES) await cp(join(WIT_DEPS, pkg), join(deps, pkg), { recursive: true });
    await copyFile(join(WIT_DEPS, WASI_LICENSE), join(deps, WASI_LICENSE));
  }
  if (template.preview1Adapter)
    await copyFile(preview1ReactorAdapter(), join(folder, 'wasi_snapshot_preview1.reactor.wasm'));
}
