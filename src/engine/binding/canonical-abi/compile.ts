/**
 * Compiles generated functions once per process (`new Function`, keyed by signature and plan, so
 * instances of the same component share compiled code and V8's type feedback) and binds them per
 * instance. `lowerImport` and `liftExport` are the entry points a binder uses.
 */
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import type { CoreFunction, LiftLowerContext } from './context.ts';
import {
  elementResources,
  type GeneratedFunction,
  generateElementCodec,
  generateLiftExport,
  generateLowerImport,
  type HostCall,
  type LiftExportPlan,
  type LowerImportPlan,
} from './generate.ts';
import { ABI_RUNTIME } from './runtime.ts';
import type { ElementCodec } from './streams.ts';
import { collectResources, functionKey, valueTypeKey } from './type-walk.ts';

/** Binds compiled code to one instance: its context, host function or core export, and resource types. */
export type BindFunction = (
  cx: LiftLowerContext,
  callee: unknown,
  resources: readonly ResourceType[],
) => CoreFunction;

export interface CompiledFunction {
  generated: GeneratedFunction;
  bind: BindFunction;
}

const compiled = new Map<string, CompiledFunction>();

function compile(key: string, generate: () => GeneratedFunction): CompiledFunction {
  let c = compiled.get(key);
  if (c === undefined) {
    const generated = generate();
    const factory = new Function(`return ${generated.source};`)() as (rt: typeof ABI_RUNTIME) => BindFunction;
    c = { generated, bind: factory(ABI_RUNTIME) };
    compiled.set(key, c);
  }
  return c;
}

export function compileLowerImport(ft: FunctionType, plan: LowerImportPlan): CompiledFunction {
  const key = `import ${functionKey(ft)} ${JSON.stringify(plan)}`;
  return compile(key, () => generateLowerImport(ft, plan));
}

/** The element codec of a stream or future, bound to the context of its `canon stream.*` definition. */
export function elementCodec(t: ValueType | undefined, cx: LiftLowerContext): ElementCodec {
  const key = `element ${valueTypeKey(t)} ${cx.stringEncoding}`;
  const c = compile(key, () => generateElementCodec(t, cx.stringEncoding));
  return c.bind(cx, undefined, t === undefined ? [] : elementResources(t)) as unknown as ElementCodec;
}

export function compileLiftExport(ft: FunctionType, plan: LiftExportPlan): CompiledFunction {
  const key = `export ${functionKey(ft)} ${JSON.stringify(plan)}`;
  return compile(key, () => generateLiftExport(ft, plan));
}

function bind(
  c: CompiledFunction,
  ft: FunctionType,
  cx: LiftLowerContext,
  callee: unknown,
  what: string,
): CoreFunction {
  if (c.generated.needsMemory && cx.memory === undefined)
    throw new TypeError(`${what} passes values through memory, but its context has no memory`);
  // The binder fills in realloc after instantiation; only its absence at call time is an error.
  // Compiled code is shared by equal signatures; the resources are this function's own.
  return c.bind(cx, callee, collectResources(ft));
}

export interface LowerImportOptions {
  cx: LiftLowerContext;
  /** The host implementation (a function, a class for `static`/`constructor`; unused for `method`). */
  callee: unknown;
  call?: HostCall;
  suspending?: boolean;
  async?: boolean;
  name?: string;
}

/** The core function a guest imports: lifts its arguments, calls the host, lowers the result. */
export function lowerImport(ft: FunctionType, options: LowerImportOptions): CoreFunction {
  const plan: LowerImportPlan = { stringEncoding: options.cx.stringEncoding };
  if (options.call !== undefined) plan.call = options.call;
  if (options.suspending) plan.suspending = true;
  if (options.async) plan.async = true;
  if (options.name !== undefined) plan.name = options.name;
  return bind(compileLowerImport(ft, plan), ft, options.cx, options.callee, options.name ?? 'an import');
}

export interface LiftExportOptions {
  cx: LiftLowerContext;
  /** The core export (or `WebAssembly.promising(coreExport)` with `promising`). */
  callee: CoreFunction;
  promising?: boolean;
  async?: 'callback' | 'stackful';
  name?: string;
}

/** The JS function the host calls: lowers its arguments, calls the core export, lifts the result. */
export function liftExport(ft: FunctionType, options: LiftExportOptions): CoreFunction {
  const plan: LiftExportPlan = { stringEncoding: options.cx.stringEncoding };
  if (options.promising) plan.promising = true;
  if (options.async) plan.async = options.async;
  if (options.name !== undefined) plan.name = options.name;
  return bind(compileLiftExport(ft, plan), ft, options.cx, options.callee, options.name ?? 'an export');
}
