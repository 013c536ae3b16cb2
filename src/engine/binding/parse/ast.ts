/**
 * A component binary, decoded but not resolved: every definition in binary order, with the index
 * spaces exactly as the spec builds them (`design/mvp/Binary.md`, `Explainer.md`). Indices stay
 * indices here; `resolve.ts` turns the type indices into `ValueType` trees, and the instantiation
 * code walks `definitions` in order, looking items up in `spaces`.
 */
import type { PrimitiveType } from '../value-types.ts';

export type CoreSort =
  | 'core func'
  | 'core table'
  | 'core memory'
  | 'core global'
  | 'core tag'
  | 'core type'
  | 'core module'
  | 'core instance';
export type ComponentSort = 'func' | 'value' | 'type' | 'component' | 'instance';
/** Named as in the text format: `(alias core export 0 "memory" (core memory))`. */
export type Sort = CoreSort | ComponentSort;

export const ALL_SORTS: readonly Sort[] = [
  'core func',
  'core table',
  'core memory',
  'core global',
  'core tag',
  'core type',
  'core module',
  'core instance',
  'func',
  'value',
  'type',
  'component',
  'instance',
];

export interface SortIndex {
  sort: Sort;
  index: number;
}

/** An import or export name with its optional attributes (`nameattributes` in the spec). */
export interface ExternName {
  /** `wasi:io/streams@0.2.10`, `run`, `[method]input-stream.read`, … */
  name: string;
  implements?: string;
  versionSuffix?: string;
  externalId?: string;
}

// ---- component value types -------------------------------------------------------------------

/** A `valtype`: a primitive, or the index of a defined value type in the current type space. */
export type ValTypeRef = PrimitiveType | number;

export type DefinedValueType =
  | { kind: 'primitive'; name: PrimitiveType }
  | { kind: 'record'; fields: Array<{ name: string; type: ValTypeRef }> }
  | { kind: 'variant'; cases: Array<{ name: string; type: ValTypeRef | undefined }> }
  | { kind: 'list'; element: ValTypeRef; length?: number }
  | { kind: 'tuple'; types: ValTypeRef[] }
  | { kind: 'flags'; names: string[] }
  | { kind: 'enum'; names: string[] }
  | { kind: 'option'; type: ValTypeRef }
  | { kind: 'result'; ok: ValTypeRef | undefined; err: ValTypeRef | undefined }
  | { kind: 'own'; resource: number }
  | { kind: 'borrow'; resource: number }
  | { kind: 'stream'; type: ValTypeRef | undefined }
  | { kind: 'future'; type: ValTypeRef | undefined }
  | { kind: 'map'; key: ValTypeRef; value: ValTypeRef };

export interface FuncTypeDefinition {
  kind: 'func';
  params: Array<{ name: string; type: ValTypeRef }>;
  result: ValTypeRef | undefined;
  async: boolean;
}

/** A `deftype`: what one entry of a type section (or a `type` declarator) defines. */
export type TypeDefinition =
  | { kind: 'value'; type: DefinedValueType }
  | FuncTypeDefinition
  | { kind: 'component'; declarations: ComponentDeclaration[] }
  | { kind: 'instance'; declarations: InstanceDeclaration[] }
  | { kind: 'resource'; rep: CoreValType; destructor: number | undefined };

export type TypeBound = { kind: 'eq'; type: number } | { kind: 'sub-resource' };
export type ValueBound = { kind: 'eq'; value: number } | { kind: 'type'; type: ValTypeRef };

/** An `externtype`: what an import, an export ascription or an export declarator promises. */
export type ExternType =
  | { kind: 'module'; type: number }
  | { kind: 'func'; type: number }
  | { kind: 'value'; bound: ValueBound }
  | { kind: 'type'; bound: TypeBound }
  | { kind: 'component'; type: number }
  | { kind: 'instance'; type: number };

export type AliasTarget =
  | { kind: 'export'; instance: number; name: string }
  | { kind: 'core export'; instance: number; name: string }
  | { kind: 'outer'; count: number; index: number };

export interface Alias {
  sort: Sort;
  target: AliasTarget;
}

/** A declarator of an instance type; `offset` is where it starts in the file. */
export type InstanceDeclaration =
  | { kind: 'core type'; type: CoreTypeDefinition; offset: number }
  | { kind: 'type'; type: TypeDefinition; offset: number }
  | { kind: 'alias'; alias: Alias; offset: number }
  | { kind: 'export'; name: ExternName; type: ExternType; offset: number };

export type ComponentDeclaration =
  | InstanceDeclaration
  | { kind: 'import'; name: ExternName; type: ExternType; offset: number };

// ---- core types (only as far as components mention them) ------------------------------------

/** An abstract heap type (`func`, `extern`, `any`, …) or a core type index. */
export type CoreHeapType = string | number;
export interface CoreRefType {
  nullable: boolean;
  heap: CoreHeapType;
  shared: boolean;
}
export type CoreValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | CoreRefType;
export interface CoreFieldType {
  type: CoreValType | 'i8' | 'i16';
  mutable: boolean;
}
export type CoreCompositeType =
  | { kind: 'func'; params: CoreValType[]; results: CoreValType[] }
  | { kind: 'struct'; fields: CoreFieldType[] }
  | { kind: 'array'; field: CoreFieldType }
  | { kind: 'cont'; type: number };
export interface CoreSubType {
  kind: 'sub';
  final: boolean;
  supertypes: number[];
  type: CoreCompositeType;
  shared: boolean;
}
export interface CoreLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
  index64: boolean;
  pageSizeLog2: number | undefined;
}
export type CoreExternType =
  | { kind: 'func'; type: number }
  | { kind: 'table'; element: CoreRefType; limits: CoreLimits }
  | { kind: 'memory'; limits: CoreLimits }
  | { kind: 'global'; type: CoreValType; mutable: boolean; shared: boolean }
  | { kind: 'tag'; type: number };
export type ModuleDeclaration =
  | { kind: 'import'; module: string; name: string; type: CoreExternType }
  | { kind: 'type'; types: CoreSubType[] }
  | { kind: 'alias outer'; count: number; index: number }
  | { kind: 'export'; name: string; type: CoreExternType };
/** One entry of a core type section: a recursion group (a plain function type is a group of one) or a module type. */
export type CoreTypeDefinition =
  | { kind: 'rec'; types: CoreSubType[] }
  | { kind: 'module'; declarations: ModuleDeclaration[] };

// ---- canonical definitions -------------------------------------------------------------------

export type StringEncoding = 'utf8' | 'utf16' | 'latin1+utf16';

export interface CanonOptions {
  /** `utf8` when the binary says nothing. */
  stringEncoding: StringEncoding;
  memory: number | undefined;
  realloc: number | undefined;
  postReturn: number | undefined;
  async: boolean;
  callback: number | undefined;
  /** `(core-type t)`: the core function type a lowering must have (GC proposal). */
  coreType: number | undefined;
  gc: boolean;
}

/** Built-ins without immediates. */
export type CanonPlainKind =
  | 'backpressure.set'
  | 'backpressure.inc'
  | 'backpressure.dec'
  | 'task.cancel'
  | 'subtask.drop'
  | 'error-context.drop'
  | 'waitable-set.new'
  | 'waitable-set.drop'
  | 'waitable.join'
  | 'thread.index'
  | 'thread.resume-later';
/** Stream and future built-ins that take only the stream or future type. */
export type CanonTypedKind =
  | 'stream.new'
  | 'stream.drop-readable'
  | 'stream.drop-writable'
  | 'future.new'
  | 'future.drop-readable'
  | 'future.drop-writable';
export type CanonTransferKind = 'stream.read' | 'stream.write' | 'future.read' | 'future.write';
export type CanonCancelKind =
  | 'stream.cancel-read'
  | 'stream.cancel-write'
  | 'future.cancel-read'
  | 'future.cancel-write';
export type CanonThreadSwitchKind =
  | 'thread.yield'
  | 'thread.suspend'
  | 'thread.suspend-then-resume'
  | 'thread.yield-then-resume'
  | 'thread.suspend-then-promote'
  | 'thread.yield-then-promote';

/** A `canon` definition. `lift` adds a component func; every other one adds a core func. */
export type Canon =
  | { kind: 'lift'; coreFunc: number; options: CanonOptions; type: number }
  | { kind: 'lower'; func: number; options: CanonOptions }
  | { kind: 'resource.new' | 'resource.rep'; resource: number }
  /** `async` is the pre-2026 `resource.drop async` (0x07), removed from the spec since. */
  | { kind: 'resource.drop'; resource: number; async: boolean }
  | { kind: CanonPlainKind }
  | { kind: 'task.return'; result: ValTypeRef | undefined; options: CanonOptions }
  | { kind: 'context.get' | 'context.set'; type: CoreValType; slot: number }
  | { kind: 'subtask.cancel'; async: boolean }
  | { kind: CanonTypedKind; type: number }
  | { kind: CanonTransferKind; type: number; options: CanonOptions }
  | { kind: CanonCancelKind; type: number; async: boolean }
  | { kind: 'error-context.new' | 'error-context.debug-message'; options: CanonOptions }
  | { kind: 'waitable-set.wait' | 'waitable-set.poll'; cancellable: boolean; memory: number }
  | { kind: CanonThreadSwitchKind; cancellable: boolean }
  | { kind: 'thread.new-indirect'; coreType: number; table: number }
  | { kind: 'thread.spawn-ref'; shared: boolean; coreType: number }
  | { kind: 'thread.spawn-indirect'; shared: boolean; coreType: number; table: number }
  | { kind: 'thread.available-parallelism'; shared: boolean };

export type CanonKind = Canon['kind'];

// ---- definitions and the component -----------------------------------------------------------

export type CoreInstanceExpression =
  | { kind: 'instantiate'; module: number; args: Array<{ name: string; instance: number }> }
  | { kind: 'exports'; exports: Array<{ name: string; item: SortIndex }> };

export type InstanceExpression =
  | { kind: 'instantiate'; component: number; args: Array<{ name: string; item: SortIndex }> }
  | { kind: 'exports'; exports: Array<{ name: ExternName; item: SortIndex }> };

export interface CoreModuleDefinition {
  kind: 'core module';
  /** The whole module (preamble included) as a view into the component's bytes, never a copy. */
  bytes: Uint8Array;
  offset: number;
}
export interface CoreInstanceDefinition {
  kind: 'core instance';
  expression: CoreInstanceExpression;
  offset: number;
}
export interface CoreTypeDefinitionEntry {
  kind: 'core type';
  /** A module type, or one member of a recursion group (each member takes one core type index). */
  type: CoreSubType | { kind: 'module'; declarations: ModuleDeclaration[] };
  offset: number;
}
export interface ComponentDefinition {
  kind: 'component';
  component: Component;
  offset: number;
}
export interface InstanceDefinition {
  kind: 'instance';
  expression: InstanceExpression;
  offset: number;
}
export interface AliasDefinition {
  kind: 'alias';
  alias: Alias;
  offset: number;
}
export interface TypeDefinitionEntry {
  kind: 'type';
  type: TypeDefinition;
  offset: number;
}
export interface CanonDefinition {
  kind: 'canon';
  canon: Canon;
  offset: number;
}
export interface StartDefinition {
  kind: 'start';
  func: number;
  args: number[];
  results: number;
  offset: number;
}
export interface ImportDefinition {
  kind: 'import';
  name: ExternName;
  type: ExternType;
  offset: number;
}
export interface ExportDefinition {
  kind: 'export';
  name: ExternName;
  item: SortIndex;
  /** The optional ascribed type (`(export "x" (func 3) (func (type 7)))`). */
  type: ExternType | undefined;
  offset: number;
}
export interface ValueDefinition {
  kind: 'value';
  type: ValTypeRef;
  /** The encoded value, a view into the component's bytes. */
  bytes: Uint8Array;
  offset: number;
}

export type Definition =
  | CoreModuleDefinition
  | CoreInstanceDefinition
  | CoreTypeDefinitionEntry
  | ComponentDefinition
  | InstanceDefinition
  | AliasDefinition
  | TypeDefinitionEntry
  | CanonDefinition
  | StartDefinition
  | ImportDefinition
  | ExportDefinition
  | ValueDefinition;

export interface CustomSection {
  name: string;
  /** The payload after the name, a view into the component's bytes. */
  data: Uint8Array;
  offset: number;
}

/** What the `component-name` section calls the component and its indices. */
export interface ComponentNames {
  component: string | undefined;
  sorts: Map<Sort, Map<number, string>>;
}

/** Each index space holds, per index, the definition that introduced it. */
export type IndexSpaces = Record<Sort, Definition[]>;

export interface Component {
  /** Offset of the preamble in the outermost file (0 for the outermost component). */
  offset: number;
  end: number;
  /** Every definition, in binary order. */
  definitions: Definition[];
  spaces: IndexSpaces;
  imports: ImportDefinition[];
  exports: ExportDefinition[];
  customSections: CustomSection[];
  /** From the `component-name` custom section, when there is a well-formed one. */
  names: ComponentNames | undefined;
}
