/**
 * A component is refused at load when it imports an interface nothing in Skiff provides, naming the
 * import and what would provide it — rather than starting and failing on the first call (as a
 * spin-sdk guest reading a variable once did).
 */

import { hostInterfaceKey } from '../engine/binding/link/host-functions.ts';
import type { Component } from '../engine/component.ts';
import { CAPABILITIES } from './registry.ts';

/**
 * The WASI 0.2 and 0.3 core the WASI host implements (src/wasi/): some of its interfaces only
 * define types (`wasi:clocks/types@0.3.0`), and what it does not grant (0.2 sockets) links and
 * fails at call, naming the interface.
 */
const WASI_CORE = /^wasi:(cli|clocks|filesystem|http|io|random|sockets)\/[^@]*@0\.[23]\./;

/** Who provides what Skiff does not, for the refusal's hint. */
const ELSEWHERE: Array<[RegExp, string]> = [
  [
    /^(fermyon:spin|spin:)[^/]*\/(sqlite|llm|mysql|postgres|redis|mqtt)/,
    'a Spin capability Skiff does not have yet (SQL, AI inference, messaging and Redis clients are on the roadmap)',
  ],
  [
    /^wasi:keyvalue\//,
    'Skiff provides wasi:keyvalue@0.2.0-draft2 (store, atomics, batch): rebuild the guest against that version',
  ],
  [
    /^wasi:config\//,
    'Skiff provides wasi:config/store (get, get-all): rebuild the guest against the version it supports',
  ],
  [/^wasmcloud:/, 'a wasmCloud capability provider; Skiff does not provide wasmCloud-specific interfaces'],
];

export class UnprovidedImportError extends Error {
  override name = 'UnprovidedImportError';
}

/** Interfaces the capabilities add (host key, without version), with the versions each accepts. */
const PROVIDED = new Map(
  CAPABILITIES.flatMap((c) => c.interfaces ?? []).map(({ name, versions }) => [name, versions] as const),
);

/**
 * Undefined when Skiff provides the import `name` (or it is no interface, e.g. a plain function);
 * otherwise what would provide it. `skiff inspect --json` reports it per import.
 */
export function unprovidedImportHint(name: string): string | undefined {
  if (!name.includes(':') || WASI_CORE.test(name)) return undefined;
  const key = hostInterfaceKey(name);
  const versions = PROVIDED.get(key);
  const version = /@([^@/]*)$/.exec(name)?.[1] ?? '';
  if (PROVIDED.has(key) && (!versions || versions.some((v) => v.test(version)))) return undefined;
  return ELSEWHERE.find(([pattern]) => pattern.test(name))?.[1] ?? 'no Skiff capability provides it';
}

/** Throws UnprovidedImportError naming every import of `component` that nothing provides. */
export function checkImports(componentId: string, component: Pick<Component, 'imports'>): void {
  const problems: string[] = [];
  for (const name of component.imports) {
    const hint = unprovidedImportHint(name);
    if (hint !== undefined) problems.push(`  ${name}: ${hint}`);
  }
  if (problems.length > 0)
    throw new UnprovidedImportError(
      `component "${componentId}" imports what Skiff cannot provide, so it would fail when it calls it:\n${problems.join('\n')}`,
    );
}
