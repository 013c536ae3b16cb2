/**
 * Flattening (`CanonicalABI.md` § Flattening): how component values map to core wasm parameters
 * and results, with the variant `join` and the limits past which values go through memory.
 */
import type { FunctionType, ValueType } from '../value-types.ts';
import { shapeOf } from './layout.ts';

export type CoreType = 'i32' | 'i64' | 'f32' | 'f64';

/** Flat parameters a synchronous call passes as core parameters; more go through memory. */
export const MAX_FLAT_PARAMS = 16;
/** Flat parameters an `async`-lowered import passes as core parameters. */
export const MAX_FLAT_ASYNC_PARAMS = 4;
/** Flat results a synchronous call returns as core results (multi-value is not yet relied on). */
export const MAX_FLAT_RESULTS = 1;

export function flattenType(t: ValueType): CoreType[] {
  const s = shapeOf(t);
  switch (s.kind) {
    case 'scalar':
      if (t.kind !== 'primitive') return ['i32'];
      switch (t.name) {
        case 's64':
        case 'u64':
          return ['i64'];
        case 'f32':
          return ['f32'];
        case 'f64':
          return ['f64'];
        default:
          return ['i32'];
      }
    case 'string':
      return ['i32', 'i32'];
    case 'list': {
      if (s.length === undefined) return ['i32', 'i32'];
      const one = flattenType(s.element);
      const flat: CoreType[] = [];
      for (let i = 0; i < s.length; i++) flat.push(...one);
      return flat;
    }
    case 'record':
      return s.types.flatMap(flattenType);
    case 'variant':
      return flattenVariant(s.cases);
    case 'flags':
      return ['i32'];
  }
}

export function flattenTypes(types: ValueType[]): CoreType[] {
  return types.flatMap(flattenType);
}

/** The discriminant, then each payload position joined over all cases (`flatten_variant`). */
export function flattenVariant(cases: Array<ValueType | undefined>): CoreType[] {
  const flat: CoreType[] = [];
  for (const c of cases) {
    if (c === undefined) continue;
    flattenType(c).forEach((ft, i) => {
      const have = flat[i];
      flat[i] = have === undefined ? ft : join(have, ft);
    });
  }
  return ['i32', ...flat];
}

/** The tightest core type that holds both: i32 with f32 stays i32, anything else widens to i64. */
export function join(a: CoreType, b: CoreType): CoreType {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

/** The core signature of a lifted or lowered function, and which side of it goes through memory. */
export interface CoreSignature {
  params: CoreType[];
  results: CoreType[];
  /** The component-level parameters as flattened, before any spilling. */
  flatParams: CoreType[];
  flatResults: CoreType[];
  /** Parameters are passed as one pointer to a tuple in memory. */
  paramsInMemory: boolean;
  /**
   * The result is passed through memory: a lowered import gets a return pointer as its last
   * parameter; a lifted export returns a pointer.
   */
  resultInMemory: boolean;
}

export interface FlattenOptions {
  /** The `async` canonopt (WASI 0.3); limits differ. */
  async?: boolean;
  /** The `callback` canonopt of an async lift. */
  callback?: boolean;
}

/** `flatten_functype`: the core function type of `canon lift` (`lift`) or `canon lower` (`lower`). */
export function flattenFunction(
  ft: FunctionType,
  context: 'lift' | 'lower',
  options: FlattenOptions = {},
): CoreSignature {
  const flatParams = flattenTypes(ft.params.map((p) => p.type));
  const flatResults = ft.result === undefined ? [] : flattenType(ft.result);
  let params = flatParams;
  let results = flatResults;
  let paramsInMemory = false;
  let resultInMemory = false;
  if (!options.async) {
    if (params.length > MAX_FLAT_PARAMS) {
      params = ['i32'];
      paramsInMemory = true;
    }
    if (results.length > MAX_FLAT_RESULTS) {
      resultInMemory = true;
      if (context === 'lift') results = ['i32'];
      else {
        params = [...params, 'i32'];
        results = [];
      }
    }
  } else if (context === 'lift') {
    if (params.length > MAX_FLAT_PARAMS) {
      params = ['i32'];
      paramsInMemory = true;
    }
    // The result goes back through `task.return` (see flattenTaskReturn).
    results = options.callback ? ['i32'] : [];
  } else {
    if (params.length > MAX_FLAT_ASYNC_PARAMS) {
      params = ['i32'];
      paramsInMemory = true;
    }
    if (results.length > 0) {
      params = [...params, 'i32'];
      resultInMemory = true;
    }
    results = ['i32'];
  }
  return { params, results, flatParams, flatResults, paramsInMemory, resultInMemory };
}

/**
 * The core type of `canon task.return` for an async export returning `result`: the result as the
 * parameters of a synchronous lowered function (`flatten_functype(opts, (func (param $t)?), 'lower')`),
 * so up to 16 flat values, else one pointer.
 */
export function flattenTaskReturn(result: ValueType | undefined): CoreSignature {
  return flattenFunction(
    {
      params: result === undefined ? [] : [{ name: 'result', type: result }],
      result: undefined,
      async: false,
    },
    'lower',
  );
}
