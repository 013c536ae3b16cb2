/**
 * The component model's value types, resolved: every type index of the binary is replaced by the
 * type it names, so the binder walks trees, not index spaces. This is the contract between the
 * component parser (which builds these) and the canonical ABI (which lays them out, lifts and
 * lowers them). Names follow the spec's `CanonicalABI.md` and WIT.
 */

export type PrimitiveType =
  | 'bool'
  | 's8'
  | 'u8'
  | 's16'
  | 'u16'
  | 's32'
  | 'u32'
  | 's64'
  | 'u64'
  | 'f32'
  | 'f64'
  | 'char'
  | 'string'
  | 'error-context';

/**
 * A resource type. The same object stands for the same resource everywhere it is mentioned, so
 * identity comparison tells two resources apart. `imported` resources come from the host (e.g.
 * `wasi:io/streams#input-stream`); others are defined by the component itself.
 */
export interface ResourceType {
  kind: 'resource';
  /** `interface#name`, e.g. `wasi:io/streams@0.2.10#input-stream`, or a local name when defined inside. */
  name: string;
  imported: boolean;
}

export type ValueType =
  | { kind: 'primitive'; name: PrimitiveType }
  /** `length` only for a fixed-length list (`list<T, N>`). */
  | { kind: 'list'; element: ValueType; length?: number }
  | { kind: 'record'; fields: Array<{ name: string; type: ValueType }> }
  | { kind: 'tuple'; types: ValueType[] }
  | { kind: 'variant'; cases: Array<{ name: string; type: ValueType | undefined }> }
  | { kind: 'enum'; names: string[] }
  | { kind: 'flags'; names: string[] }
  | { kind: 'option'; type: ValueType }
  | { kind: 'result'; ok: ValueType | undefined; err: ValueType | undefined }
  | { kind: 'own'; resource: ResourceType }
  | { kind: 'borrow'; resource: ResourceType }
  | { kind: 'future'; type: ValueType | undefined }
  | { kind: 'stream'; type: ValueType | undefined };

export interface FunctionType {
  params: Array<{ name: string; type: ValueType }>;
  /** At most one result in the current component model (named results were removed). */
  result: ValueType | undefined;
  /** `async` functions (WASI 0.3). */
  async: boolean;
}

/** Shorthand for tests and generated code. */
export const primitive = (name: PrimitiveType): ValueType => ({ kind: 'primitive', name });
