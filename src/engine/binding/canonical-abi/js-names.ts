/**
 * How WIT names appear in JS values, following jco: record fields and flags in lowerCamelCase
 * (heck's `to_lower_camel_case` on kebab-case words), variant tags and enum cases as written.
 */

/** `HTTP-response-body-size` → `httpResponseBodySize`, `ipv4-address` → `ipv4Address`. */
export function lowerCamelCase(kebab: string): string {
  const words = kebab.split('-').filter((w) => w.length > 0);
  return words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `o.name` when `name` is an identifier, else `o["name"]`. */
export function propertyAccess(object: string, name: string): string {
  return IDENTIFIER.test(name) ? `${object}.${name}` : `${object}[${JSON.stringify(name)}]`;
}
