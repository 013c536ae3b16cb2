/**
 * Rewrites a core module so every piece of mutable state it defines — mutable globals, memories,
 * tables — is exported (as `skiff$global$N`, …). A snapshot taken right after instantiation can
 * then put an instance back into its fresh state without instantiating it again.
 * Only the export section changes; code and data are copied through untouched.
 */
import {
  EXTERNAL_KIND,
  encodeLeb,
  Reader,
  readImports,
  type Section,
  sections,
  skipConstExpr,
  skipValueType,
} from './wasm-binary.ts';

const SECTION = { import: 2, table: 4, memory: 5, global: 6, export: 7 } as const;
const KIND = EXTERNAL_KIND;

interface StateCounts {
  importedTables: number;
  importedMemories: number;
  importedGlobals: number;
  definedTables: number;
  definedMemories: number;
  mutableGlobals: number[]; // indices in the global index space
}

function countState(bytes: Uint8Array, list: Section[]): StateCounts {
  const counts: StateCounts = {
    importedTables: 0,
    importedMemories: 0,
    importedGlobals: 0,
    definedTables: 0,
    definedMemories: 0,
    mutableGlobals: [],
  };
  for (const s of list) {
    const r = new Reader(bytes, s.payloadStart);
    if (s.id === SECTION.import) {
      for (const entry of readImports(bytes, s)) {
        if (entry.kind === KIND.table) counts.importedTables++;
        else if (entry.kind === KIND.memory) counts.importedMemories++;
        else if (entry.kind === KIND.global) counts.importedGlobals++;
      }
    } else if (s.id === SECTION.table) {
      counts.definedTables = r.leb();
    } else if (s.id === SECTION.memory) {
      counts.definedMemories = r.leb();
    } else if (s.id === SECTION.global) {
      const n = r.leb();
      for (let i = 0; i < n; i++) {
        skipValueType(r);
        const mutable = r.byte() === 1;
        skipConstExpr(r);
        if (mutable) counts.mutableGlobals.push(counts.importedGlobals + i);
      }
    }
  }
  return counts;
}

function existingExports(bytes: Uint8Array, section: Section | undefined): Set<string> {
  const keys = new Set<string>();
  if (!section) return keys;
  const r = new Reader(bytes, section.payloadStart);
  for (let n = r.leb(); n > 0; n--) {
    r.name();
    const kind = r.byte();
    keys.add(`${kind}:${r.leb()}`);
  }
  return keys;
}

export const STATE_EXPORT_PREFIX = 'skiff$';

/** The module with its mutable state exported; unchanged bytes if everything already is. */
export function exportMutableState(bytes: Uint8Array): Uint8Array {
  const list = sections(bytes);
  const counts = countState(bytes, list);
  const exportSection = list.find((s) => s.id === SECTION.export);
  const exported = existingExports(bytes, exportSection);
  const additions: Array<[string, number, number]> = [];
  const add = (kind: number, index: number, label: string) => {
    if (!exported.has(`${kind}:${index}`))
      additions.push([`${STATE_EXPORT_PREFIX}${label}$${index}`, kind, index]);
  };
  for (let i = 0; i < counts.definedMemories; i++) add(KIND.memory, counts.importedMemories + i, 'memory');
  for (let i = 0; i < counts.definedTables; i++) add(KIND.table, counts.importedTables + i, 'table');
  for (const index of counts.mutableGlobals) add(KIND.global, index, 'global');
  if (additions.length === 0) return bytes;

  const encoder = new TextEncoder();
  const entries: number[] = [];
  for (const [name, kind, index] of additions) {
    const nameBytes = encoder.encode(name);
    entries.push(...encodeLeb(nameBytes.length), ...nameBytes, kind, ...encodeLeb(index));
  }
  let oldCount = 0;
  let oldEntries: Uint8Array = new Uint8Array(0);
  if (exportSection) {
    const r = new Reader(bytes, exportSection.payloadStart);
    oldCount = r.leb();
    oldEntries = bytes.subarray(r.offset, exportSection.end);
  }
  const payload = [...encodeLeb(oldCount + additions.length), ...oldEntries, ...entries];
  const newSection = Uint8Array.from([SECTION.export, ...encodeLeb(payload.length), ...payload]);
  // The export section goes after the global section and before start/element/code/data.
  const before = exportSection ?? list.find((s) => [8, 9, 10, 11, 12].includes(s.id));
  const cutStart = before ? before.start : bytes.length;
  const cutEnd = exportSection ? exportSection.end : cutStart;
  const out = new Uint8Array(cutStart + newSection.length + (bytes.length - cutEnd));
  out.set(bytes.subarray(0, cutStart), 0);
  out.set(newSection, cutStart);
  out.set(bytes.subarray(cutEnd), cutStart + newSection.length);
  return out;
}
