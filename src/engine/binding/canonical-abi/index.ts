/**
 * Skiff's canonical ABI (`CanonicalABI.md` of WebAssembly/component-model): layout and flattening
 * of value types, generated straight-line lift/lower code for whole functions, per-instance
 * handle tables, and the resource built-ins. Values on the JS side follow jco's conventions.
 */

export type { BindFunction, CompiledFunction, LiftExportOptions, LowerImportOptions } from './compile.ts';
export { compileLiftExport, compileLowerImport, liftExport, lowerImport } from './compile.ts';
export type { CoreFunction, InstanceStateSnapshot, Realloc, StringEncoding } from './context.ts';
export { ComponentInstanceState, LiftLowerContext } from './context.ts';
export type { CoreSignature, CoreType, FlattenOptions } from './flatten.ts';
export {
  flattenFunction,
  flattenTaskReturn,
  flattenType,
  flattenTypes,
  join,
  MAX_FLAT_ASYNC_PARAMS,
  MAX_FLAT_PARAMS,
  MAX_FLAT_RESULTS,
} from './flatten.ts';
export type { GeneratedFunction, HostCall, LiftExportPlan, LowerImportPlan } from './generate.ts';
export { generateLiftExport, generateLowerImport } from './generate.ts';
export { GuestMemory } from './guest-memory.ts';
export type { HandleTableSnapshot } from './handle-table.ts';
export { BorrowScope, ErrorContext, HandleKind, HandleTable, MAX_TABLE_LENGTH } from './handle-table.ts';
export type { DiscriminantType } from './layout.ts';
export {
  alignment,
  alignTo,
  discriminantSize,
  discriminantType,
  elemSize,
  flagsSize,
  InvalidValueTypeError,
  MAX_LIST_BYTE_LENGTH,
  MAX_STRING_BYTE_LENGTH,
  recordLayout,
  tupleLayout,
  UTF16_TAG,
  variantLayout,
} from './layout.ts';
export { resourceDrop, resourceNew, resourceRep } from './resource-builtins.ts';
export { ABI_RUNTIME } from './runtime.ts';
export type { TrapRule } from './trap.ts';
export { CanonicalAbiTrap, ComponentError } from './trap.ts';
export { GuestResource } from './values.ts';
