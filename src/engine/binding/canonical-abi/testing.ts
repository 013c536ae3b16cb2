/**
 * Test support: a real core module for round trips. For each function type it exports a forwarder
 * with the `canon lift` core signature that passes its core arguments unchanged to an import with
 * the `canon lower` signature (allocating the return area with its own `realloc` when the result
 * goes through memory), then drops its borrowed handles. Lifted as an export and given a lowered
 * host function as the import, a value crosses every direction: lowered by the export wrapper,
 * lifted for the host, lowered from the host's return value, lifted again for the caller.
 * The module's `realloc` is a bump allocator with knobs: `skew` (added to every pointer it
 * returns) and `grow` (grow memory on every call, detaching the old buffer).
 */
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { jspi } from '../jspi.ts';
import { type FunctionType, primitive, type ResourceType, type ValueType } from '../value-types.ts';
import { liftExport, lowerImport } from './compile.ts';
import {
  ComponentInstanceState,
  type CoreFunction,
  LiftLowerContext,
  type StringEncoding,
} from './context.ts';
import { flattenFunction } from './flatten.ts';
import { GuestMemory } from './guest-memory.ts';
import { alignment, elemSize } from './layout.ts';
import { resourceDrop } from './resource-builtins.ts';
import { collectResources } from './type-walk.ts';

const REALLOC = `
  (func $realloc (export "realloc") (param $old i32) (param $oldSize i32) (param $align i32) (param $new i32) (result i32)
    (local $p i32) (local $need i32)
    (global.set $reallocs (i32.add (global.get $reallocs) (i32.const 1)))
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $bump (i32.add (local.get $p) (local.get $new)))
    (local.set $need (i32.sub (i32.shr_u (i32.add (global.get $bump) (i32.const 65535)) (i32.const 16)) (memory.size)))
    (if (i32.and (i32.ne (global.get $grow) (i32.const 0)) (i32.lt_s (local.get $need) (i32.const 1)))
      (then (local.set $need (i32.const 1))))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $need)) (i32.const -1)) (then unreachable))))
    (if (i32.ne (local.get $oldSize) (i32.const 0))
      (then (memory.copy (local.get $p) (local.get $old)
        (select (local.get $oldSize) (local.get $new) (i32.lt_u (local.get $oldSize) (local.get $new))))))
    (i32.add (local.get $p) (global.get $skew)))`;

function watTypes(keyword: 'param' | 'result', types: string[]): string {
  return types.length === 0 ? '' : `(${keyword} ${types.join(' ')})`;
}

/** Names in the forwarding module; the defaults suit direct use, a component needs canonical ones. */
export interface ForwarderNames {
  importModule: string;
  importName: (i: number) => string;
  exportName: (i: number) => string;
  postReturnName: (i: number) => string;
  realloc: string;
  /** Export the knobs (`bump`, `skew`, …) as globals. */
  knobs: boolean;
}

const DIRECT_NAMES: ForwarderNames = {
  importModule: 'host',
  importName: (i) => `f${i}`,
  exportName: (i) => `f${i}`,
  postReturnName: (i) => `post${i}`,
  realloc: 'realloc',
  knobs: true,
};

/** The WAT of the forwarding module for `functions` (named f0, f1, … in order). */
export function forwardingModuleWat(functions: FunctionType[], names: ForwarderNames = DIRECT_NAMES): string {
  const imports: string[] = [];
  const bodies: string[] = [];
  const resources = [...new Set(functions.flatMap(collectResources))];
  resources.forEach((_, r) => {
    imports.push(`(import "host" "drop${r}" (func $drop${r} (param i32)))`);
  });
  functions.forEach((ft, i) => {
    const lift = flattenFunction(ft, 'lift');
    const lower = flattenFunction(ft, 'lower');
    imports.push(
      `(import "${names.importModule}" "${names.importName(i)}" (func $f${i} ${watTypes('param', lower.params)} ${watTypes('result', lower.results)}))`,
    );
    const body: string[] = [];
    if (lower.resultInMemory && ft.result !== undefined)
      body.push(
        `(local.set $ret (call $realloc (i32.const 0) (i32.const 0) (i32.const ${alignment(ft.result)}) (i32.const ${elemSize(ft.result)})))`,
      );
    const args = lift.params.map((_, j) => `(local.get ${j})`);
    if (lower.resultInMemory) args.push('(local.get $ret)');
    const call = `(call $f${i} ${args.join(' ')})`;
    // Borrowed handles must be dropped before returning; only top-level borrow params are handled.
    const drops = lift.paramsInMemory
      ? []
      : ft.params.flatMap((p, j) =>
          p.type.kind === 'borrow'
            ? [`(call $drop${resources.indexOf(p.type.resource)} (local.get ${j}))`]
            : [],
        );
    if (lower.results.length > 0) {
      body.push(`(local.set $out ${call})`, ...drops, '(local.get $out)');
    } else {
      body.push(call, ...drops);
      if (lower.resultInMemory) body.push('(local.get $ret)');
    }
    const locals = `(local $ret i32)${lower.results.length > 0 ? ` (local $out ${lower.results[0]})` : ''}`;
    bodies.push(
      `(func (export "${names.exportName(i)}") ${watTypes('param', lift.params)} ${watTypes('result', lift.results)} ${locals}\n    ${body.join('\n    ')})`,
      `(func (export "${names.postReturnName(i)}") ${watTypes('param', lift.results)} (global.set $posts (i32.add (global.get $posts) (i32.const 1))))`,
    );
  });
  const knob = (name: string) => (names.knobs ? `(export "${name}")` : '');
  return `(module
  ${imports.join('\n  ')}
  (memory (export "memory") 1)
  (global $bump ${knob('bump')} (mut i32) (i32.const 16))
  (global $skew ${knob('skew')} (mut i32) (i32.const 0))
  (global $grow ${knob('grow')} (mut i32) (i32.const 0))
  (global $reallocs ${knob('reallocs')} (mut i32) (i32.const 0))
  (global $posts ${knob('posts')} (mut i32) (i32.const 0))
  ${REALLOC.replace('(export "realloc")', `(export "${names.realloc}")`)}
  ${bodies.join('\n  ')}
)`;
}

export interface Forwarder {
  /** Lifted exports f0, f1, … */
  exports: CoreFunction[];
  state: ComponentInstanceState;
  memory: GuestMemory;
  /** The module's own exports (memory, realloc, knobs). */
  core: WebAssembly.Exports;
  global(name: 'bump' | 'skew' | 'grow' | 'reallocs' | 'posts'): WebAssembly.Global;
  /** With `logRealloc`, the binder's calls to realloc: [old, oldSize, align, newSize, result]. */
  reallocCalls: number[][];
}

export interface ForwarderOptions {
  stringEncoding?: StringEncoding;
  postReturn?: boolean;
  /** Async host functions behind `WebAssembly.Suspending`, exports through `WebAssembly.promising`. */
  jspi?: boolean;
  /** Record every call the binder makes to realloc in `reallocCalls`. */
  logRealloc?: boolean;
}

const moduleCache = new Map<string, WebAssembly.Module>();

/** Instantiates the forwarding module with `hosts[i]` behind import `f<i>`. */
export async function forwarder(
  functions: FunctionType[],
  hosts: Array<(...args: never[]) => unknown>,
  options: ForwarderOptions = {},
): Promise<Forwarder> {
  const wat = forwardingModuleWat(functions);
  let module = moduleCache.get(wat);
  if (module === undefined) {
    module = new WebAssembly.Module((await parse(wat)) as Uint8Array<ArrayBuffer>);
    moduleCache.set(wat, module);
  }
  const state = new ComponentInstanceState();
  const memory = new GuestMemory();
  const stringEncoding = options.stringEncoding ?? 'utf8';
  const reallocCalls: number[][] = [];
  const importCx = new LiftLowerContext(state, { stringEncoding, memory });
  const hostImports: Record<string, CoreFunction> = {};
  const resources: ResourceType[] = [...new Set(functions.flatMap(collectResources))];
  resources.forEach((rt, r) => {
    hostImports[`drop${r}`] = resourceDrop(state, rt);
  });
  functions.forEach((ft, i) => {
    const lowered = lowerImport(ft, {
      cx: importCx,
      callee: hosts[i],
      name: `f${i}`,
      suspending: options.jspi ?? false,
    });
    hostImports[`f${i}`] = options.jspi ? new jspi.Suspending(lowered) : lowered;
  });
  const instance = new WebAssembly.Instance(module, { host: hostImports });
  const core = instance.exports;
  memory.attach(core.memory as WebAssembly.Memory);
  const realloc = core.realloc as (a: number, b: number, c: number, d: number) => number;
  const loggedRealloc = (a: number, b: number, c: number, d: number): number => {
    const r = realloc(a, b, c, d);
    reallocCalls.push([a, b, c, d, r]);
    return r;
  };
  const binderRealloc = options.logRealloc ? loggedRealloc : realloc;
  importCx.realloc = binderRealloc;
  const exports = functions.map((ft, i) => {
    const cx = new LiftLowerContext(state, { stringEncoding, memory, realloc: binderRealloc });
    if (options.postReturn) cx.postReturn = core[`post${i}`] as CoreFunction;
    const callee = core[`f${i}`] as CoreFunction;
    return liftExport(ft, {
      cx,
      callee: options.jspi ? jspi.promising(callee) : callee,
      name: `f${i}`,
      promising: options.jspi ?? false,
    });
  });
  return {
    exports,
    state,
    memory,
    core,
    global: (name) => core[name] as WebAssembly.Global,
    reallocCalls,
  };
}

/** Shorthands for the value and function types the tests build. */
export const p = primitive;
export const identity = (t: ValueType): FunctionType => ({
  params: [{ name: 'x', type: t }],
  result: t,
  async: false,
});
export const list = (element: ValueType, length?: number): ValueType =>
  length === undefined ? { kind: 'list', element } : { kind: 'list', element, length };
export const option = (type: ValueType): ValueType => ({ kind: 'option', type });
export const tuple = (...types: ValueType[]): ValueType => ({ kind: 'tuple', types });
export const variant = (cases: Record<string, ValueType | undefined>): ValueType => ({
  kind: 'variant',
  cases: Object.entries(cases).map(([name, type]) => ({ name, type })),
});
