/**
 * Which loaded core module each wasm script of a V8 profile is. V8 names a sampled wasm frame by
 * its script (one per distinct module: identical bytes share one) and gives the offset of the
 * function's body as its column, with the function's name-section name, or `wasm-function[i]`.
 * A module is the script when every sampled function of the script starts where one of the
 * module's functions starts and has that function's name. Identical modules in several
 * components all match: the script is theirs together.
 */
import type { Profiler } from 'node:inspector';
import { isWasmWrapper } from './host-buckets.ts';
import type { GuestModule, LoadedComponent } from './loaded-components.ts';
import { functionAt } from './module-functions.ts';

/** A script's modules, and the index of the function each sampled column is. */
export interface ScriptOwner {
  modules: GuestModule[];
  /** Column (body offset) → function index. */
  functionAtColumn: Map<number, number>;
}

const UNNAMED = /^wasm-function\[(\d+)\]$/;

/** The owner of every wasm script that appears in `nodes`, keyed by script id. */
export function scriptOwners(
  nodes: readonly Profiler.ProfileNode[],
  components: readonly LoadedComponent[],
): Map<string, ScriptOwner> {
  const sampled = new Map<string, Map<number, string>>();
  for (const { callFrame } of nodes) {
    if (!callFrame.url.startsWith('wasm://') || isWasmWrapper(callFrame)) continue;
    const functions = sampled.get(callFrame.scriptId) ?? new Map<number, string>();
    sampled.set(callFrame.scriptId, functions);
    functions.set(callFrame.columnNumber, callFrame.functionName);
  }
  const modules = components.flatMap((c) => c.modules);
  const owners = new Map<string, ScriptOwner>();
  for (const [scriptId, functions] of sampled) {
    let owner: ScriptOwner | undefined;
    for (const module of modules) {
      const indices = matchingIndices(module, functions);
      if (!indices) continue;
      if (owner) owner.modules.push(module);
      else owner = { modules: [module], functionAtColumn: indices };
    }
    if (owner) owners.set(scriptId, owner);
  }
  return owners;
}

/** Column → function index when `module` has every sampled function, else undefined. */
function matchingIndices(
  module: GuestModule,
  functions: Map<number, string>,
): Map<number, number> | undefined {
  const indices = new Map<number, number>();
  for (const [column, name] of functions) {
    const index = functionAt(module.table, column);
    if (index === undefined) return undefined;
    const unnamed = UNNAMED.exec(name);
    if (unnamed ? Number(unnamed[1]) !== index : module.names().get(index) !== name) return undefined;
    indices.set(column, index);
  }
  return indices;
}
