/**
 * The `producers` custom section (tool-conventions' ProducersSection.md): which tools made the
 * component. Skiff reads `processed-by` to recognise componentize-js guests.
 */
import type { CustomSection } from './parse/index.ts';

/** `processed-by` entries as `name version`, e.g. `ComponentizeJS 0.23.0`; [] when absent or malformed. */
export function processedBy(sections: CustomSection[]): string[] {
  const section = sections.find((s) => s.name === 'producers');
  if (!section) return [];
  const data = section.data;
  let at = 0;
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = data[at++];
      if (byte === undefined) throw new RangeError('producers section ends early');
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  };
  const text = (): string => {
    const length = u32();
    if (at + length > data.length) throw new RangeError('producers section ends early');
    const value = new TextDecoder().decode(data.subarray(at, at + length));
    at += length;
    return value;
  };
  try {
    const tools: string[] = [];
    for (let fields = u32(); fields > 0; fields--) {
      const field = text();
      for (let values = u32(); values > 0; values--) {
        const entry = `${text()} ${text()}`.trim();
        if (field === 'processed-by') tools.push(entry);
      }
    }
    return tools;
  } catch {
    return [];
  }
}
