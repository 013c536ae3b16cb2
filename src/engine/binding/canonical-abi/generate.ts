/**
 * Generates the source of whole functions: a lowered import (the core function a guest calls,
 * wrapping a host function) and a lifted export (the JS function the host calls, wrapping a core
 * export). The source is a factory `(rt) => (cx, callee, R) => function`, compiled once per
 * distinct signature and plan (see compile.ts) and bound per instance, and plain text, so a binder
 * can also write it into a per-component module cached on disk.
 */
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import type { StringEncoding } from './context.ts';
import { liftFlat, liftVariant, load, SlotReader } from './emit-lift.ts';
import { lowerFlat, lowerFlatVariant, store } from './emit-lower.ts';
import { addr, Emitter } from './emitter.ts';
import { type CoreSignature, flattenFunction } from './flatten.ts';
import { alignment, elemSize, InvalidValueTypeError, tupleLayout, variantLayout } from './layout.ts';
import { RUNTIME_NAMES } from './runtime.ts';
import { collectResources, contains, functionKey, isBorrow, usesMemory } from './type-walk.ts';

/** How a lowered import calls its host implementation (`callee`). */
export type HostCall =
  /** `callee(...args)`. */
  | { kind: 'function' }
  /** `args[0][name](...rest)`: a `[method]` on the resource object passed as `self`. */
  | { kind: 'method'; name: string }
  /** `callee[name](...args)`: a `[static]` function of the class given as `callee`. */
  | { kind: 'static'; name: string }
  /** `new callee(...args)`: a `[constructor]`. */
  | { kind: 'constructor' };

export interface LowerImportPlan {
  stringEncoding: StringEncoding;
  /**
   * `canon lower async` (WASI 0.3): at most 4 flat parameters, the result stored at a return
   * pointer when the call resolves, and the packed subtask state returned (see tasks.ts).
   */
  async?: boolean;
  call?: HostCall;
  /** The host function returns a promise; the core function awaits it (wrap it in `WebAssembly.Suspending`). */
  suspending?: boolean;
  /** For stack traces and the code cache, e.g. `wasi:io/streams#[method]output-stream.write`. */
  name?: string;
}

export interface LiftExportPlan {
  stringEncoding: StringEncoding;
  /**
   * `canon lift async` (WASI 0.3): the value comes through `task.return`; with `callback` the core
   * function returns a packed callback code and the callback loop runs it to EXIT.
   */
  async?: 'callback' | 'stackful';
  /** The core export returns a promise (it was wrapped in `WebAssembly.promising`); the JS function is async. */
  promising?: boolean;
  name?: string;
}

export interface GeneratedFunction {
  /** A JS expression: `(function (rt) { … return function bind(cx, callee, R) { … }; })`. */
  source: string;
  /** The resource types the code refers to as `R[i]`, in order. */
  resources: ResourceType[];
  /** The function reads or writes guest memory, so its context needs `memory`. */
  needsMemory: boolean;
  /** The function calls `realloc`, so its context needs `realloc` by the time it is called. */
  needsRealloc: boolean;
}

function functionName(name: string | undefined, fallback: string): string {
  const cleaned = (name ?? fallback).replace(/[^A-Za-z0-9_$]+/g, '_').replace(/^([0-9])/, '_$1');
  return cleaned.length > 0 ? cleaned : fallback;
}

function checkSupported(ft: FunctionType): void {
  if (ft.result !== undefined && contains(ft.result, isBorrow))
    throw new InvalidValueTypeError('a borrow cannot appear in a function result');
}

function assemble(e: Emitter, header: string): string {
  const resources = e.resources.map((_, i) => `const R${i} = R[${i}];`);
  return [
    '(function (rt) {',
    '"use strict";',
    `const { ${RUNTIME_NAMES.join(', ')} } = rt;`,
    ...e.constants,
    'return function bind(cx, callee, R) {',
    'const inst = cx.instance, H = inst.handles, m = cx.memory;',
    ...resources,
    `return ${header} {`,
    ...e.lines,
    '};',
    '};',
    '})',
  ].join('\n');
}

function hostCall(call: HostCall, args: string[]): string {
  switch (call.kind) {
    case 'function':
      return `callee(${args.join(', ')})`;
    case 'method': {
      const [self, ...rest] = args;
      if (self === undefined) throw new InvalidValueTypeError(`method ${call.name} needs a self parameter`);
      return `${self}[${JSON.stringify(call.name)}](${rest.join(', ')})`;
    }
    case 'static':
      return `callee[${JSON.stringify(call.name)}](${args.join(', ')})`;
    case 'constructor':
      return `new callee(${args.join(', ')})`;
  }
}

/**
 * `canon lower`: the core function a guest calls. It lifts the core arguments (from memory when
 * more than 16 flat values), calls the host, and lowers the result: returned when it is one flat
 * value, else stored at the return pointer the guest passed last. A top-level `result<T, E>` is
 * the host's return value for `ok`, or the `payload` of what it throws for `err`.
 */
export function generateLowerImport(ft: FunctionType, plan: LowerImportPlan): GeneratedFunction {
  checkSupported(ft);
  if (plan.async) return generateAsyncLowerImport(ft, plan);
  const sig = flattenFunction(ft, 'lower');
  const e = new Emitter(plan.stringEncoding, collectResources(ft));
  const paramTypes = ft.params.map((p) => p.type);
  const coreParams = sig.params.map((_, i) => `a${i}`);
  const lendsBorrows = paramTypes.some((t) => contains(t, isBorrow));
  const awaitPrefix = plan.suspending ? 'await ' : '';

  e.line(`if (!inst.mayLeave) trap("may-leave", ${JSON.stringify(`calling ${plan.name ?? 'an import'}`)});`);
  if (lendsBorrows) e.line('const mark = H.lendMark();');
  const args = liftParams(e, sig, paramTypes, coreParams);

  const call = `${awaitPrefix}${hostCall(plan.call ?? { kind: 'function' }, args)}`;
  const result = ft.result;
  const resultIsResult = result?.kind === 'result';
  if (result === undefined) e.line(`${call};`);
  else if (!resultIsResult) e.line(`const r = ${call};`);
  else {
    e.line('let r, failed = false;');
    e.open('try {');
    e.line(`r = ${call};`);
    e.reopen('} catch (thrown) {');
    e.line('r = errorPayload(thrown);');
    e.line('failed = true;');
    e.close();
  }
  if (lendsBorrows) e.line('H.endLends(mark);');

  if (result !== undefined) {
    // A top-level result selects its case by whether the host threw, not by a tag.
    const dispatch = (body: (i: number, payload: string | undefined) => void): void => {
      if (result.kind !== 'result') return;
      e.open('if (failed) {');
      body(1, result.err === undefined ? undefined : 'r');
      e.reopen('} else {');
      body(0, result.ok === undefined ? undefined : 'r');
      e.close();
    };
    if (sig.resultInMemory) {
      const rp = coreParams[coreParams.length - 1] as string;
      e.line(`const rp = ${rp} >>> 0;`);
      e.line(`checkPointer(m, rp, ${elemSize(result)}, ${alignment(result)}, "the return area");`);
      if (resultIsResult) storeResultParts(e, result, dispatch, 'rp');
      else store(e, result, 'r', 'rp');
    } else {
      const flat = resultIsResult ? lowerFlatVariant(e, result, dispatch) : lowerFlat(e, result, 'r');
      e.line(`return ${flat[0]};`);
    }
  }

  const header = `${plan.suspending ? 'async ' : ''}function ${functionName(plan.name, 'lowered')}(${coreParams.join(', ')})`;
  const allTypes = [...paramTypes, ...(result === undefined ? [] : [result])];
  return {
    source: assemble(e, header),
    resources: [...e.resources],
    needsMemory: sig.paramsInMemory || sig.resultInMemory || allTypes.some((t) => contains(t, usesMemory)),
    needsRealloc: result !== undefined && contains(result, usesMemory),
  };
}

/**
 * `canon lower async`: lifts the arguments at once (the host has them when the call starts, so the
 * guest may reuse their memory: STARTED), calls the host, and hands its return value to
 * `startSubtask`, which returns RETURNED when it is not a promise, else a new subtask. The result is
 * stored at the return pointer by the `deliver` function generated here, when the guest takes the
 * event; the borrows stay lent until then.
 */
function generateAsyncLowerImport(ft: FunctionType, plan: LowerImportPlan): GeneratedFunction {
  const sig = flattenFunction(ft, 'lower', { async: true });
  const e = new Emitter(plan.stringEncoding, collectResources(ft));
  const paramTypes = ft.params.map((p) => p.type);
  const coreParams = sig.params.map((_, i) => `a${i}`);
  const lendsBorrows = paramTypes.some((t) => contains(t, isBorrow));

  e.line(`if (!inst.mayLeave) trap("may-leave", ${JSON.stringify(`calling ${plan.name ?? 'an import'}`)});`);
  if (lendsBorrows) e.line('const mark = H.lendMark();');
  const args = liftParams(e, sig, paramTypes, coreParams);
  const result = ft.result;
  if (result !== undefined) {
    e.line(`const rp = ${coreParams[coreParams.length - 1]} >>> 0;`);
    e.line(`checkPointer(m, rp, ${elemSize(result)}, ${alignment(result)}, "the return area");`);
  }
  e.line(`const lent = ${lendsBorrows ? 'H.takeLends(mark)' : 'undefined'};`);
  e.line('let r;');
  e.open('try {');
  e.line(`r = ${hostCall(plan.call ?? { kind: 'function' }, args)};`);
  e.reopen('} catch (thrown) {');
  e.line('r = new Thrown(thrown);');
  e.close();
  e.open('return startSubtask(inst, r, lent, (failed, r) => {');
  if (result === undefined) e.line('if (failed) throw r;');
  else if (result.kind === 'result') {
    e.line('if (failed) r = errorPayload(r);');
    const dispatch = (body: (i: number, payload: string | undefined) => void): void => {
      e.open('if (failed) {');
      body(1, result.err === undefined ? undefined : 'r');
      e.reopen('} else {');
      body(0, result.ok === undefined ? undefined : 'r');
      e.close();
    };
    storeResultParts(e, result, dispatch, 'rp');
  } else {
    e.line('if (failed) throw r;');
    store(e, result, 'r', 'rp');
  }
  e.close('});');

  const header = `function ${functionName(plan.name, 'lowered')}(${coreParams.join(', ')})`;
  const allTypes = [...paramTypes, ...(result === undefined ? [] : [result])];
  return {
    source: assemble(e, header),
    resources: [...e.resources],
    needsMemory: sig.paramsInMemory || result !== undefined || allTypes.some((t) => contains(t, usesMemory)),
    needsRealloc: result !== undefined && contains(result, usesMemory),
  };
}

/**
 * A lifted export's arguments into the core parameters `arg0…`: flat, or through `realloc` into a
 * tuple `arg0` points at.
 */
function lowerArgs(e: Emitter, sig: CoreSignature, paramTypes: ValueType[], params: string[]): void {
  if (sig.paramsInMemory) {
    const layout = tupleLayout(paramTypes);
    e.line(`arg0 = allocate(cx, ${layout.align}, ${layout.size});`);
    paramTypes.forEach((t, i) => {
      store(e, t, params[i] as string, addr('arg0', layout.offsets[i] as number));
    });
    return;
  }
  const flat = paramTypes.flatMap((t, i) => lowerFlat(e, t, params[i] as string));
  flat.forEach((x, i) => {
    e.line(`arg${i} = ${x};`);
  });
}

/** A lowered import's arguments as JS values: from the core parameters, or the tuple `a0` points at. */
function liftParams(e: Emitter, sig: CoreSignature, paramTypes: ValueType[], coreParams: string[]): string[] {
  if (sig.paramsInMemory) {
    const layout = tupleLayout(paramTypes);
    e.line('const pp = a0 >>> 0;');
    e.line(`checkPointer(m, pp, ${layout.size}, ${layout.align}, "the parameters");`);
    return paramTypes.map((t, i) => e.bind(load(e, t, addr('pp', layout.offsets[i] as number))));
  }
  const reader = new SlotReader(coreParams.slice(0, sig.flatParams.length), sig.flatParams);
  return paramTypes.map((t) => e.bind(liftFlat(e, t, reader)));
}

function storeResultParts(
  e: Emitter,
  t: ValueType & { kind: 'result' },
  dispatch: (body: (i: number, payload: string | undefined) => void) => void,
  p: string,
): void {
  const layout = variantLayout([t.ok, t.err]);
  dispatch((i, payload) => {
    e.line(`m.u8[${p}] = ${i};`);
    const c = i === 0 ? t.ok : t.err;
    if (c !== undefined) store(e, c, payload as string, addr(p, layout.payloadOffset));
  });
}

/**
 * `canon lift`: the JS function the host calls. It lowers the arguments (through `realloc` into
 * memory when more than 16 flat values), calls the core export, lifts the result (from the
 * returned pointer when more than one flat value), runs `post-return`, and hands back the value.
 * A top-level `result<T, E>` returns T for `ok` and throws a `ComponentError` with the `err`
 * value as `payload`, as jco does.
 */
export function generateLiftExport(ft: FunctionType, plan: LiftExportPlan): GeneratedFunction {
  checkSupported(ft);
  if (plan.async) return generateAsyncLiftExport(ft, plan);
  const sig = flattenFunction(ft, 'lift');
  const e = new Emitter(plan.stringEncoding, collectResources(ft));
  const paramTypes = ft.params.map((p) => p.type);
  const params = paramTypes.map((_, i) => `x${i}`);
  const lendsBorrows = paramTypes.some((t) => contains(t, isBorrow));
  const name = JSON.stringify(plan.name ?? 'an export');

  e.line(`if (!inst.mayEnter) trap("may-enter", ${JSON.stringify(`calling ${plan.name ?? 'an export'}`)});`);
  e.line('inst.mayEnter = false;');
  // A host value that cannot be lowered is the host's mistake, not the guest's: the instance
  // stays usable (see abandonCall); a trap inside realloc leaves it unenterable.
  const args = sig.params.map((_, i) => `arg${i}`);
  if (args.length > 0) {
    e.line(`let ${args.join(', ')};`);
    e.open('try {');
    lowerArgs(e, sig, paramTypes, params);
    e.reopen('} catch (error) {');
    e.line('abandonCall(inst, error);');
    e.close();
  }
  const result = ft.result;
  const call = `${plan.promising ? 'await ' : ''}callee(${args.join(', ')})`;
  e.line(result === undefined ? `${call};` : `const ret = ${call};`);

  let value = 'undefined';
  const topResult = result?.kind === 'result';
  if (result !== undefined) {
    if (topResult) e.line('let failed = false, val;');
    const assign = topResult
      ? (i: number, payload: string | undefined) => {
          if (i === 1) e.line('failed = true;');
          if (payload !== undefined) e.line(`val = ${payload};`);
        }
      : undefined;
    if (sig.resultInMemory) {
      e.line('const rp = ret >>> 0;');
      e.line(`checkPointer(m, rp, ${elemSize(result)}, ${alignment(result)}, "the result");`);
      if (assign) {
        const layout = variantLayout([
          result.kind === 'result' ? result.ok : undefined,
          result.kind === 'result' ? result.err : undefined,
        ]);
        liftVariant(e, result, 'm.u8[rp]', (c) => load(e, c, addr('rp', layout.payloadOffset)), assign);
      } else value = e.bind(load(e, result, 'rp'), 'result');
    } else {
      const reader = new SlotReader(['ret'], sig.results);
      if (assign) {
        const d = reader.next('i32');
        const joined = sig.flatResults.slice(1);
        const slots = joined.map((ty) => reader.next(ty));
        liftVariant(e, result, `${d} >>> 0`, (c) => liftFlat(e, c, new SlotReader(slots, joined)), assign);
      } else value = e.bind(liftFlat(e, result, reader), 'result');
    }
  }
  if (lendsBorrows)
    e.line(`if (inst.syncTask.numBorrows !== 0) trap("borrow-outlived-call", "returning from " + ${name});`);
  e.line('const postReturn = cx.postReturn;');
  e.open('if (postReturn !== undefined) {');
  e.line('inst.mayLeave = false;');
  e.line(`postReturn(${sig.results.length > 0 ? 'ret' : ''});`);
  e.line('inst.mayLeave = true;');
  e.close();
  e.line('inst.mayEnter = true;');
  if (topResult) {
    e.line('if (failed) throw new ComponentError(val);');
    e.line('return val;');
  } else if (result !== undefined) e.line(`return ${value};`);

  const header = `${plan.promising ? 'async ' : ''}function ${functionName(plan.name, 'lifted')}(${params.join(', ')})`;
  const allTypes = [...paramTypes, ...(result === undefined ? [] : [result])];
  return {
    source: assemble(e, header),
    resources: [...e.resources],
    needsMemory: sig.paramsInMemory || sig.resultInMemory || allTypes.some((t) => contains(t, usesMemory)),
    needsRealloc: sig.paramsInMemory || paramTypes.some((t) => contains(t, usesMemory)),
  };
}

/** The key `task.return` is checked against: the result type as `functionKey` spells it. */
export const resultKey = (result: ValueType | undefined): string =>
  functionKey({
    params: result === undefined ? [] : [{ name: 'result', type: result }],
    result: undefined,
    async: false,
  });

/**
 * `canon lift async`: lowers the arguments (borrows scoped to the call's task), enters the core
 * function through JSPI, and lets `driveTask` run the callback loop; the returned promise settles
 * at `task.return`.
 */
function generateAsyncLiftExport(ft: FunctionType, plan: LiftExportPlan): GeneratedFunction {
  const callback = plan.async === 'callback';
  const sig = flattenFunction(ft, 'lift', { async: true, callback });
  const e = new Emitter(plan.stringEncoding, collectResources(ft));
  e.borrowScope = 'task.scope';
  const paramTypes = ft.params.map((p) => p.type);
  const params = paramTypes.map((_, i) => `x${i}`);
  const name = plan.name ?? 'an export';

  // Unlike a sync call, an async one does not hold the instance for its whole length: other
  // calls may start while it waits (driveTask runs their guest code one at a time).
  e.line(`if (!inst.mayEnter) trap("may-enter", ${JSON.stringify(`calling ${name}`)});`);
  e.line(
    `const task = new Task(cx, ${JSON.stringify(resultKey(ft.result))}, ${ft.result?.kind === 'result'}, ${JSON.stringify(name)});`,
  );
  e.open('const enter = () => {');
  const args = sig.params.map((_, i) => `arg${i}`);
  if (args.length > 0) {
    e.line(`let ${args.join(', ')};`);
    lowerArgs(e, sig, paramTypes, params);
  }
  e.line(`return callee(${args.join(', ')});`);
  e.close('};');
  e.line(`return driveTask(inst, task, enter, ${callback ? 'cx.callback' : 'undefined'});`);

  const header = `function ${functionName(plan.name, 'lifted')}(${params.join(', ')})`;
  return {
    source: assemble(e, header),
    resources: [...e.resources],
    needsMemory: sig.paramsInMemory || paramTypes.some((t) => contains(t, usesMemory)),
    needsRealloc: sig.paramsInMemory || paramTypes.some((t) => contains(t, usesMemory)),
  };
}

/**
 * Loads and stores one element of a `stream<T>` or `future<T>` in guest memory (streams.ts copies
 * values with it between a guest's buffer and the host's).
 */
export function generateElementCodec(
  t: ValueType | undefined,
  stringEncoding: StringEncoding,
): GeneratedFunction {
  const resources = t === undefined ? [] : elementResources(t);
  const load$ = new Emitter(stringEncoding, resources);
  const store$ = new Emitter(stringEncoding, resources);
  if (t !== undefined) {
    load$.line(`return ${load(load$, t, 'p')};`);
    store(store$, t, 'v', 'p');
  }
  const size = t === undefined ? 0 : elemSize(t);
  const align = t === undefined ? 1 : alignment(t);
  const bytes = t?.kind === 'primitive' && (t.name === 'u8' || t.name === 's8');
  const source = [
    '(function (rt) {',
    '"use strict";',
    `const { ${RUNTIME_NAMES.join(', ')} } = rt;`,
    ...load$.constants,
    ...store$.constants,
    'return function bind(cx, callee, R) {',
    'const inst = cx.instance, H = inst.handles;',
    ...resources.map((_, i) => `const R${i} = R[${i}];`),
    `return { size: ${size}, align: ${align}, bytes: ${bytes},`,
    'load(cx, p) { const m = cx.memory;',
    ...load$.lines,
    '},',
    'store(cx, v, p) { const m = cx.memory;',
    ...store$.lines,
    '} };',
    '};',
    '})',
  ].join('\n');
  return {
    source,
    resources,
    needsMemory: size > 0,
    needsRealloc: t !== undefined && contains(t, usesMemory),
  };
}

/** The resource types an element type mentions, in `collectResources` order. */
export const elementResources = (t: ValueType): ResourceType[] =>
  collectResources({ params: [{ name: 'value', type: t }], result: undefined, async: false });
