/**
 * Guest symbols as their authors wrote them: Rust (legacy `_ZN…17h<hash>E` and v0 `_R…`) and C++
 * (Itanium `_Z…`) names, demangled by `gecko-profiler-demangle` — the Firefox profiler's demangler,
 * rustc-demangle and cpp_demangle built to wasm — so nothing runs outside this process. Rust hashes
 * and crate disambiguators are left out, as `rustc-demangle` prints with `{:#}`.
 */

export type Demangle = (symbol: string) => string;

/** The prefixes of mangled symbols; other names (C's, `wasm-function[3]`) are left as they are. */
const MANGLED = /^(?:_Z|__Z|_R)/;

interface DemanglerGlue {
  demangle_any(name: string): string;
  __wbg_set_wasm(exports: WebAssembly.Exports): void;
}

let loading: Promise<Demangle> | undefined;

/** The demangler, compiled on first use (about half a megabyte of wasm) and shared afterwards. */
export function loadDemangler(): Promise<Demangle> {
  loading ??= compileDemangler().catch((e) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

async function compileDemangler(): Promise<Demangle> {
  const { readFile } = await import('node:fs/promises');
  // The package's own entry imports its .wasm as an ES module (an experimental Node feature that
  // warns); its glue with the module instantiated here does the same without the warning.
  const gluePath: string = 'gecko-profiler-demangle/index_bg.js';
  const glue = (await import(gluePath)) as DemanglerGlue;
  const wasmUrl = new URL(import.meta.resolve('gecko-profiler-demangle/index_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(await readFile(wasmUrl), {
    './index_bg.js': glue as unknown as WebAssembly.ModuleImports,
  });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return (symbol) => {
    if (!MANGLED.test(symbol)) return symbol;
    const plain = glue.demangle_any(symbol);
    // What it cannot demangle it returns with one leading `_` dropped (taken for a Mach-O prefix).
    return plain === symbol.slice(1) ? symbol : plain;
  };
}
