/**
 * The `component-name` custom section: the names a toolchain gave to indices (`$main`,
 * `$wit-component-shim-module`, …), for messages and backtraces. The spec asks engines not to
 * reject a component over a bad name section, so a malformed one is ignored, not refused.
 */
import type { ComponentNames, CustomSection } from './ast.ts';
import { readSort } from './decode-types.ts';
import { ComponentParseError } from './errors.ts';
import { ByteReader } from './reader.ts';

export const NAME_SECTION = 'component-name';

export function readComponentNames(section: CustomSection): ComponentNames | undefined {
  const { data } = section;
  const names: ComponentNames = { component: undefined, sorts: new Map() };
  try {
    const r = new ByteReader(data, 0, data.length, NAME_SECTION);
    while (!r.atEnd) {
      const id = r.byte();
      const s = r.sub(r.u32(), NAME_SECTION);
      if (id === 0) names.component = s.name();
      else if (id === 1) {
        const sort = readSort(s);
        const map = names.sorts.get(sort) ?? new Map<number, string>();
        s.each((x) => map.set(x.u32(), x.name()));
        names.sorts.set(sort, map);
      }
    }
  } catch (e) {
    if (e instanceof ComponentParseError) return undefined;
    throw e;
  }
  return names;
}
