/**
 * The component parser: bytes → decoded definitions and index spaces (`decodeComponent`) →
 * resolved types and the component's world (`resolveComponent`). `parseComponent` does both.
 * Every refusal is a `ComponentParseError` naming the section, the byte offset and what to do.
 */
import { decodeComponent } from './decode-component.ts';
import { type ResolvedComponent, resolveComponent } from './world.ts';

export type * from './ast.ts';
export { COMPONENT_VERSION, decodeComponent, SECTION_NAMES } from './decode-component.ts';
export { ComponentParseError, type ParseErrorPlace } from './errors.ts';
export { ComponentScope, type ResourceDefinition } from './resolve-component.ts';
export type {
  ComponentShape,
  InstanceShape,
  InstanceTemplate,
  ResolvedItem,
  ResolvedType,
} from './resolve-types.ts';
export { TypeScope } from './resolve-types.ts';
export { printFunctionType, printValueType } from './wit-print.ts';
export {
  type ComponentWorld,
  functionsOf,
  functionTypeOf,
  type ResolvedComponent,
  resolveComponent,
  resourcesOf,
  sameFunctionType,
  sameValueType,
  type WorldItem,
} from './world.ts';

/** Decodes and resolves a component binary. Throws `ComponentParseError` when it is refused. */
export function parseComponent(bytes: Uint8Array): ResolvedComponent {
  return resolveComponent(decodeComponent(bytes));
}
