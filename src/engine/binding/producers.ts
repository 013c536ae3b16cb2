/**
 * The `producers` custom section (tool-conventions' ProducersSection.md): which tools made the
 * component. Skiff reads `processed-by` to recognise componentize-js guests.
 */
import { ComponentParseError, type CustomSection } from './parse/index.ts';
import { ByteReader } from './parse/reader.ts';

/** `processed-by` entries as `name version`, e.g. `ComponentizeJS 0.23.0`; [] when absent or malformed. */
export function processedBy(sections: CustomSection[]): string[] {
  const section = sections.find((s) => s.name === 'producers');
  if (!section) return [];
  const r = new ByteReader(section.data, 0, section.data.length, 'producers');
  try {
    const tools: string[] = [];
    for (let fields = r.u32(); fields > 0; fields--) {
      const field = r.name();
      for (let values = r.u32(); values > 0; values--) {
        const entry = `${r.name()} ${r.name()}`.trim();
        if (field === 'processed-by') tools.push(entry);
      }
    }
    return tools;
  } catch (e) {
    // A tool's malformed metadata is not a reason to refuse its component.
    if (e instanceof ComponentParseError) return [];
    throw e;
  }
}
