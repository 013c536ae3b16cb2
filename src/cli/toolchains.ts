/**
 * The programs build commands call, and how to install each: `skiff build` names a missing one
 * before running the command (when it is the command's own program) or after it failed (when a
 * script it ran said "not found"), instead of leaving the user with a bare "exit code 127".
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface Toolchain {
  /** What the program belongs to, e.g. "Rust (cargo)". */
  name: string;
  /** One line: how to get it. */
  install: string;
}

const RUST_INSTALL =
  'install Rust with rustup (https://rustup.rs), then add the target: rustup target add wasm32-wasip2';
const CLANG_INSTALL =
  'Debian/Ubuntu: sudo apt-get install clang lld wasi-libc libclang-rt-dev-wasm32 (or use wasi-sdk: set CC and WASI_SYSROOT)';
const NODE_INSTALL = 'install Node.js 24+ (npm comes with it): https://nodejs.org';

/** Programs templates and common build commands use. */
export const TOOLCHAINS: Readonly<Record<string, Toolchain>> = {
  cargo: { name: 'Rust (cargo)', install: RUST_INSTALL },
  rustup: { name: 'Rust (rustup)', install: RUST_INSTALL },
  clang: { name: 'clang with wasi-libc', install: CLANG_INSTALL },
  'wasm-ld': { name: 'LLVM lld (wasm-ld)', install: CLANG_INSTALL },
  'wit-bindgen': {
    name: 'wit-bindgen (C bindings)',
    install: 'cargo install wit-bindgen-cli --version 0.63.0 --locked',
  },
  'wasm-tools': { name: 'wasm-tools', install: 'cargo install wasm-tools --locked' },
  go: { name: 'Go', install: 'install Go 1.24+: https://go.dev/dl' },
  tinygo: { name: 'TinyGo', install: 'install TinyGo 0.34+: https://tinygo.org/getting-started/install' },
  'componentize-py': {
    name: 'componentize-py',
    install: 'pip install componentize-py (templates are tested with 0.25.1)',
  },
  'componentize-js': {
    name: 'componentize-js',
    install:
      'run npm install in the project: @bytecodealliance/componentize-js is one of its devDependencies',
  },
  tsc: {
    name: 'TypeScript (tsc)',
    install: 'run npm install in the project: typescript is one of its devDependencies',
  },
  npm: { name: 'npm', install: NODE_INSTALL },
  npx: { name: 'npm (npx)', install: NODE_INSTALL },
  node: { name: 'Node.js', install: NODE_INSTALL },
  make: { name: 'make', install: 'Debian/Ubuntu: sudo apt-get install make' },
  python3: { name: 'Python 3', install: 'install Python 3.10+: https://www.python.org/downloads' },
};

/** Words at a command position that are the shell's own, not programs on PATH. */
const SHELL_WORDS = new Set([
  '.',
  ':',
  '[',
  'cd',
  'echo',
  'exec',
  'exit',
  'export',
  'false',
  'printf',
  'pwd',
  'set',
  'source',
  'test',
  'true',
  'unset',
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  '!',
  '{',
  '}',
]);

/**
 * The programs a shell command line runs directly: the first word of each part between
 * `&&`, `||`, `;`, `|` and newlines, after `NAME=value` assignments. Paths (`./build.sh`) and
 * anything inside quotes or `$(…)` are left to the shell.
 */
export function programsOf(command: string): string[] {
  const programs: string[] = [];
  // Quoted text cannot hold a command position we could judge reliably: blank it out.
  const unquoted = command.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, '""');
  for (const part of unquoted.split(/&&|\|\||[;|\n]/)) {
    const words = part.trim().replace(/^\(+/, '').split(/\s+/).filter(Boolean);
    const first = words.find((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
    if (!first || SHELL_WORDS.has(first) || first.includes('/') || /[$`(){}<>*?]/.test(first)) continue;
    if (!programs.includes(first)) programs.push(first);
  }
  return programs;
}

/** The program's path on `pathVariable`, or undefined when no folder there has it executable. */
export function findProgram(program: string, pathVariable: string): string | undefined {
  for (const folder of pathVariable.split(delimiter)) {
    if (!folder || !isAbsolute(folder)) continue;
    const candidate = join(folder, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** "`cargo` (Rust (cargo)) is not installed, or not on PATH: install Rust …". */
export function describeMissing(program: string): string {
  const known = TOOLCHAINS[program];
  return known
    ? `\`${program}\` is not installed, or not on PATH — ${known.name}: ${known.install}`
    : `\`${program}\` is not installed, or not on PATH`;
}

/** Failures whose output says what is missing in words of its own. */
const OUTPUT_HINTS: { pattern: RegExp; hint: string }[] = [
  {
    pattern:
      /wasm32-wasip2` target may not be installed|can't find crate for `(?:core|std)`[\s\S]*wasm32-wasip2/,
    hint: 'the Rust target is missing: rustup target add wasm32-wasip2',
  },
  {
    pattern:
      /wasm32-wasi[\s\S]*'(?:stdio|stdlib|string)\.h' file not found|cannot find crt1|unable to find library -lc\b/,
    hint: `clang has no wasi-libc: ${CLANG_INSTALL}`,
  },
  {
    pattern: /"wasm-ld"|wasm-ld: (?:command )?not found/,
    hint: `clang cannot link WebAssembly without lld: ${CLANG_INSTALL}`,
  },
  {
    pattern: /libclang_rt\.builtins-wasm32\.a/,
    hint: `clang has no WebAssembly runtime library: ${CLANG_INSTALL}`,
  },
];

/** "sh: 1: foo: not found", "bash: line 1: foo: command not found", "zsh: command not found: foo". */
const NOT_FOUND = [
  /(?:^|\n)[^\n]*?([A-Za-z0-9_.+-]+): (?:command )?not found\s*(?:\n|$)/g,
  /command not found: ([A-Za-z0-9_.+-]+)/g,
];

/** What the failed build's output says is missing, with how to get it; empty when it says nothing we know. */
export function hintsFromOutput(output: string): string[] {
  const hints: string[] = [];
  for (const pattern of NOT_FOUND) {
    for (const match of output.matchAll(pattern)) {
      const hint = describeMissing(match[1] as string);
      if (!hints.includes(hint)) hints.push(hint);
    }
  }
  for (const { pattern, hint } of OUTPUT_HINTS) if (pattern.test(output)) hints.push(hint);
  return hints;
}
