/**
 * Decodes a component binary into definitions and index spaces (`ast.ts`): the preamble, then
 * sections in any order and number, each read within its declared size (decode-sections.ts does
 * the definitions). Nested components are decoded in place; core modules are kept as views into
 * the input, never copied.
 */
import { ALL_SORTS, type Component, type IndexSpaces } from './ast.ts';
import { SectionDecoder } from './decode-sections.ts';
import { ByteReader, hex } from './reader.ts';

export const SECTION_NAMES = [
  'custom',
  'core module',
  'core instance',
  'core type',
  'component',
  'instance',
  'alias',
  'type',
  'canon',
  'start',
  'import',
  'export',
  'value',
] as const;

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** The pre-standard component binary version this decoder reads (Binary.md). */
export const COMPONENT_VERSION = 0x0d;

/** Nested components deeper than this are refused rather than risking the JS stack. */
const MAX_NESTING = 100;

export function decodeComponent(bytes: Uint8Array): Component {
  return decodeAt(bytes, 0, bytes.length, []);
}

function checkPreamble(r: ByteReader): void {
  const start = r.offset;
  if (r.end - start < 8 || !MAGIC.every((b, i) => r.bytes[start + i] === b)) {
    r.fail(
      r.end - start < 8 ? 'too short to be WebAssembly' : 'not WebAssembly (no \\0asm magic)',
      start,
      'point at the .wasm your toolchain produced',
    );
  }
  const version = (r.bytes[start + 4] as number) | ((r.bytes[start + 5] as number) << 8);
  const layer = (r.bytes[start + 6] as number) | ((r.bytes[start + 7] as number) << 8);
  if (layer === 0) {
    r.fail(
      'this is a core WebAssembly module, not a component',
      start + 6,
      'a WASI preview1 module must first be adapted into a component (Skiff does this on load)',
    );
  }
  if (layer !== 1) r.fail(`unknown WebAssembly layer ${layer} (1 means component)`, start + 6);
  if (version !== COMPONENT_VERSION) {
    r.fail(
      `component binary version 0x${hex(version)}; Skiff reads version 0x${hex(COMPONENT_VERSION)}`,
      start + 4,
      'Skiff reads the component binary format of wasm-tools 1.x, cargo-component and componentize-js; rebuild with one of those',
    );
  }
  r.offset = start + 8;
}

function emptySpaces(): IndexSpaces {
  const spaces = {} as IndexSpaces;
  for (const sort of ALL_SORTS) spaces[sort] = [];
  return spaces;
}

function decodeAt(bytes: Uint8Array, start: number, end: number, parents: Component[]): Component {
  const r: ByteReader = new ByteReader(bytes, start, end, 'preamble');
  checkPreamble(r);
  if (parents.length > MAX_NESTING) r.fail(`components nested more than ${MAX_NESTING} deep`, start);
  const component: Component = {
    offset: start,
    end,
    definitions: [],
    spaces: emptySpaces(),
    imports: [],
    exports: [],
    customSections: [],
    names: undefined,
  };
  const decoder = new SectionDecoder(component, parents, (from, to, chain) =>
    decodeAt(bytes, from, to, chain),
  );
  while (!r.atEnd) {
    r.section = 'section header';
    const headerAt = r.offset;
    const id = r.byte();
    const size = r.u32();
    const name = SECTION_NAMES[id];
    if (name === undefined)
      r.fail(`unknown section id ${id} (0x${hex(id)}); component sections are 0 to 12`, headerAt);
    const s = r.sub(size, name);
    decoder.section(id, s);
    if (!s.atEnd) s.fail(`${s.end - s.offset} bytes left over at the end of the section`);
  }
  return component;
}
