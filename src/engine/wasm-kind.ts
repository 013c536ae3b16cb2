/** Tells a component from a core module from something that is not WebAssembly at all. */
import { ComponentLoadError } from './errors.ts';

export type WasmKind = 'component' | 'core-module';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function wasmKind(bytes: Uint8Array, file: string): WasmKind {
  if (bytes.length < 8 || !MAGIC.every((b, i) => bytes[i] === b)) {
    const start = Buffer.from(bytes.subarray(0, 4)).toString('hex') || 'empty';
    throw new ComponentLoadError(
      file,
      `not a WebAssembly file (${bytes.length < 8 ? 'too short' : `it starts with 0x${start}, not \\0asm`})`,
      'point at the .wasm your toolchain produced (e.g. target/wasm32-wasip2/release/app.wasm)',
    );
  }
  // Bytes 4-7: version 1 layer 0 is a core module; layer 1 is a component.
  const layer = (bytes[6] as number) | ((bytes[7] as number) << 8);
  if (layer === 0) {
    try {
      // Compiling (lazily, as V8 does) says why a module is refused, which validate() does not.
      new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      const reason = (e instanceof Error ? e.message : String(e)).replace(/^WebAssembly\.Module\(\): /, '');
      throw new ComponentLoadError(
        file,
        `the core WebAssembly module is truncated, malformed or over the engine's limits: ${reason}`,
        'rebuild it',
      );
    }
    return 'core-module';
  }
  if (layer === 1) return 'component';
  throw new ComponentLoadError(
    file,
    `unknown WebAssembly layer ${layer}`,
    'rebuild with a current toolchain',
  );
}
