/**
 * Where each function of a compiled core module starts, and what its `name` section calls it. V8's
 * profiler names a wasm frame by its module's script and the offset of the function's body in the
 * module's bytes, so these two tables are what ties a sampled frame back to a guest module.
 */
import { EXTERNAL_KIND, Reader, readImports, sections } from '../../engine/wasm-binary.ts';

const CODE_SECTION = 10;
const IMPORT_SECTION = 2;
/** The `name` section's subsection of function names. */
const FUNCTION_NAMES = 1;

export interface FunctionTable {
  /** Functions imported by the module, which come first in the function index space. */
  importedFunctions: number;
  /** Byte offset of each defined function's body (after its size), in code-section order. */
  bodyOffsets: Uint32Array;
}

/** Reads the function table of a module's bytes: one walk over the sections and the body sizes. */
export function functionTable(bytes: Uint8Array): FunctionTable {
  const list = sections(bytes);
  const importedFunctions = readImports(
    bytes,
    list.find((s) => s.id === IMPORT_SECTION),
  ).filter((entry) => entry.kind === EXTERNAL_KIND.func).length;
  const code = list.find((s) => s.id === CODE_SECTION);
  if (!code) return { importedFunctions, bodyOffsets: new Uint32Array(0) };
  const r = new Reader(bytes, code.payloadStart);
  const bodyOffsets = new Uint32Array(r.leb());
  for (let i = 0; i < bodyOffsets.length; i++) {
    const size = r.leb();
    bodyOffsets[i] = r.offset;
    r.skip(size);
  }
  return { importedFunctions, bodyOffsets };
}

/** The index of the function whose body starts at `offset`, if one does. */
export function functionAt(table: FunctionTable, offset: number): number | undefined {
  const { bodyOffsets } = table;
  let low = 0;
  let high = bodyOffsets.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = bodyOffsets[middle] as number;
    if (at === offset) return table.importedFunctions + middle;
    if (at < offset) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/**
 * Function index → name, from the payloads of a module's `name` custom sections (as
 * `WebAssembly.Module.customSections(module, 'name')` gives them). A malformed section yields the
 * names read before the fault: names only label frames, they decide nothing.
 */
export function functionNames(payloads: readonly ArrayBuffer[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const payload of payloads) {
    const bytes = new Uint8Array(payload);
    const r = new Reader(bytes);
    try {
      while (r.offset < bytes.length) {
        const id = r.byte();
        const end = r.leb() + r.offset;
        if (id === FUNCTION_NAMES) {
          for (let n = r.leb(); n > 0; n--) {
            const index = r.leb();
            names.set(index, r.name());
          }
        }
        r.offset = end;
      }
    } catch {
      // A truncated section: keep what was read.
    }
  }
  return names;
}
