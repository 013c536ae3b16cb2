/**
 * Skiff's binder at run time: makes one instance of a parsed component by walking its definitions
 * in binary order, as the spec's instantiation does — core modules instantiated with the core
 * instances named as their imports, host functions lowered (`canon lower`) through the generated
 * canonical-ABI code, core exports lifted (`canon lift`) into the functions the host calls, nested
 * components instantiated with their arguments. Types come from the parser's resolved scopes; the
 * values made here are kept per definition, so an index is looked up in the decoded index space.
 */

import { suspending } from '../../interrupt/time-slice.ts';
import {
  backpressureChange,
  backpressureSet,
  contextGet,
  contextSet,
  subtaskCancel,
  subtaskDrop,
  taskCancel,
  threadYield,
  waitableJoin,
  waitableSetDrop,
  waitableSetNew,
  waitableSetPoll,
  waitableSetWait,
} from '../canonical-abi/async-builtins.ts';
import { elementCodec } from '../canonical-abi/compile.ts';
import { resultKey } from '../canonical-abi/generate.ts';
import {
  type CompiledFunction,
  ComponentInstanceState,
  type CoreFunction,
  compileLowerImport,
  GuestMemory,
  LiftLowerContext,
  liftExport,
  lowerImport,
  type Realloc,
  resourceDrop,
  resourceNew,
  resourceRep,
} from '../canonical-abi/index.ts';
import { lowerCamelCase } from '../canonical-abi/js-names.ts';
import {
  cancelBuiltin,
  copyBuiltin,
  dropBuiltin,
  streamOrFutureNew,
} from '../canonical-abi/stream-builtins.ts';
import { taskReturn } from '../canonical-abi/tasks.ts';
import { collectResources, valueTypeKey } from '../canonical-abi/type-walk.ts';
import { GuestResource, guestResourceRep } from '../canonical-abi/values.ts';
import { jspi } from '../jspi.ts';
import type {
  CanonOptions,
  Component as ComponentAst,
  ComponentScope,
  Definition,
  InstanceDefinition,
  ResolvedComponent,
  Sort,
  SortIndex,
} from '../parse/index.ts';
import type { FunctionType, ResourceType, ValueType } from '../value-types.ts';
import { type HostBinding, hostBinding, unversioned } from './host-functions.ts';

/** A component-level function: implemented by the host, or lifted from a core export. */
type ComponentFunc =
  | { kind: 'host'; interfaceName: string; name: string }
  | { kind: 'lifted'; call: (...args: unknown[]) => unknown };

/** A component instance's exports, by name. */
type InstanceValue = Map<string, unknown>;

/** A nested component definition, with the scope its outer aliases refer to. */
interface ComponentValue {
  ast: ComponentAst;
  outer: RuntimeScope;
}

export interface LinkOptions {
  /** Skiff's WASI host for this instance, jco's layout (`instanceImports(...).imports`). */
  hostImports: Record<string, object>;
  /** Compiled (and instrumented) core modules, by their definition. */
  coreModule(bytes: Uint8Array): WebAssembly.Module;
  /** Instantiates one core module (the caller adds its host memories and keeps the instance). */
  instantiateCore(module: WebAssembly.Module, imports: WebAssembly.Imports): WebAssembly.Instance;
  /** `interface#function` names (unversioned) whose host functions return promises (JSPI). */
  suspendingImports: ReadonlySet<string>;
}

export interface LinkedInstance {
  /** Top-level exports: an exported instance as an object of lowerCamelCase functions. */
  exports: Record<string, unknown>;
  state: ComponentInstanceState;
}

/**
 * The key, on an instance's exports, of `(resource: GuestResource) => Promise<void>`: the host
 * drops an owned resource of the component it holds (one an export returned), which runs the
 * component's destructor for it, as `resource.drop` would. A symbol, so no export name can clash.
 */
export const dropGuestResource: unique symbol = Symbol('skiff.dropGuestResource');

/** A component the binder cannot run, with what to do about it. */
export class UnsupportedComponentError extends Error {
  override name = 'UnsupportedComponentError';
}

/** One component (outermost or nested) being instantiated: the value of each of its definitions. */
class RuntimeScope {
  readonly values = new Map<Definition, unknown>();
  readonly ast: ComponentAst;
  readonly types: ComponentScope;
  readonly outer: RuntimeScope | undefined;
  /** The nested components instantiated in this one, where resources may be defined too. */
  readonly inner: RuntimeScope[] = [];
  #funcIndex: Map<Definition, number> | undefined;

  constructor(ast: ComponentAst, types: ComponentScope, outer: RuntimeScope | undefined) {
    this.ast = ast;
    this.types = types;
    this.outer = outer;
  }

  get(sort: Sort, index: number): unknown {
    const definition = this.ast.spaces[sort][index];
    if (definition === undefined)
      throw new UnsupportedComponentError(`${sort} index ${index} is out of range`);
    if (!this.values.has(definition))
      throw new UnsupportedComponentError(`${sort} ${index} is used before it is defined`);
    return this.values.get(definition);
  }

  item({ sort, index }: SortIndex): unknown {
    return this.get(sort, index);
  }

  /** The component-level function index a `canon lift` defines. */
  funcIndexOf(definition: Definition): number {
    this.#funcIndex ??= new Map(this.ast.spaces.func.map((d, i) => [d, i]));
    return this.#funcIndex.get(definition) as number;
  }

  resource(typeIndex: number): ResourceType {
    const type = this.types.types[typeIndex];
    if (type?.kind !== 'resource') throw new UnsupportedComponentError(`type ${typeIndex} is not a resource`);
    return type.resource;
  }
}

/**
 * Refuses at load what `instantiateComponent` cannot run yet (WASI 0.3's async ABI, start
 * functions), so the error comes once with the file, not on every request.
 */
export function checkSupported(ast: ComponentAst): void {
  for (const definition of ast.definitions) {
    if (definition.kind === 'component') checkSupported(definition.component);
    if (definition.kind === 'start')
      throw new UnsupportedComponentError(
        'the component has a start function, which Skiff’s binder does not run yet',
      );
    if (definition.kind !== 'canon') continue;
    const c = definition.canon;
    if (!SUPPORTED_CANON.has(c.kind) || (c.kind === 'resource.drop' && c.async))
      throw new UnsupportedComponentError(
        `the component uses \`canon ${c.kind}\`${c.kind.startsWith('stream.') || c.kind.startsWith('future.') ? ' (WASI 0.3 streams and futures)' : ''}, which Skiff's binder does not run yet`,
      );
  }
}

/** The canonical built-ins the binder runs: the sync ABI, and WASI 0.3's tasks, waitables and subtasks. */
const SUPPORTED_CANON = new Set<string>([
  'lift',
  'lower',
  'resource.new',
  'resource.rep',
  'resource.drop',
  'task.return',
  'task.cancel',
  'context.get',
  'context.set',
  'waitable-set.new',
  'waitable-set.poll',
  'waitable-set.wait',
  'waitable-set.drop',
  'waitable.join',
  'subtask.drop',
  'subtask.cancel',
  'backpressure.set',
  'backpressure.inc',
  'backpressure.dec',
  'thread.yield',
  'stream.new',
  'stream.read',
  'stream.write',
  'stream.cancel-read',
  'stream.cancel-write',
  'stream.drop-readable',
  'stream.drop-writable',
  'future.new',
  'future.read',
  'future.write',
  'future.cancel-read',
  'future.cancel-write',
  'future.drop-readable',
  'future.drop-writable',
]);

export function instantiateComponent(resolved: ResolvedComponent, options: LinkOptions): LinkedInstance {
  const state = new ComponentInstanceState();
  const top = new RuntimeScope(resolved.component, resolved.scope, undefined);
  const imports = new Map<string, unknown>();
  for (const { name, item } of resolved.world.imports) {
    if (item.kind !== 'instance')
      throw new UnsupportedComponentError(
        `the component imports \`${name}\` as a ${item.kind}; Skiff's host provides interfaces (instances) only`,
      );
    const functions: InstanceValue = new Map();
    for (const [func, inner] of item.shape.exports) {
      if (inner.kind === 'func')
        functions.set(func, { kind: 'host', interfaceName: name, name: func } satisfies ComponentFunc);
      else functions.set(func, undefined);
    }
    imports.set(name, functions);
  }
  run(top, imports, state, options);
  const exports: Record<string, unknown> = {};
  for (const definition of resolved.component.exports)
    exports[definition.name.name] = publicValue(top.values.get(definition));
  Object.defineProperty(exports, dropGuestResource, { value: guestResourceDropper(top) });
  return { exports, state };
}

/** What the host sees of an exported item: functions callable, instances as objects of them. */
function publicValue(value: unknown): unknown {
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [name, inner] of value) if (isLifted(inner)) object[lowerCamelCase(name)] = inner.call;
    return object;
  }
  return isLifted(value) ? value.call : value;
}

const isLifted = (value: unknown): value is Extract<ComponentFunc, { kind: 'lifted' }> =>
  (value as ComponentFunc | undefined)?.kind === 'lifted';

function run(
  scope: RuntimeScope,
  args: Map<string, unknown>,
  state: ComponentInstanceState,
  options: LinkOptions,
): void {
  for (const definition of scope.ast.definitions) {
    scope.values.set(definition, evaluate(scope, definition, args, state, options));
  }
}

function evaluate(
  scope: RuntimeScope,
  definition: Definition,
  args: Map<string, unknown>,
  state: ComponentInstanceState,
  options: LinkOptions,
): unknown {
  switch (definition.kind) {
    case 'core module':
      return options.coreModule(definition.bytes);
    case 'core instance': {
      const expression = definition.expression;
      if (expression.kind === 'exports') {
        const exports: Record<string, unknown> = {};
        for (const { name, item } of expression.exports) exports[name] = scope.item(item);
        return exports;
      }
      const imports: WebAssembly.Imports = {};
      for (const { name, instance } of expression.args)
        imports[name] = scope.get('core instance', instance) as WebAssembly.ModuleImports;
      const module = scope.get('core module', expression.module) as WebAssembly.Module;
      return options.instantiateCore(module, imports).exports;
    }
    case 'core type':
    case 'type':
    case 'value':
      return undefined;
    case 'component':
      return { ast: definition.component, outer: scope } satisfies ComponentValue;
    case 'instance':
      return instance(scope, definition, state, options);
    case 'alias': {
      const { target, sort } = definition.alias;
      if (target.kind === 'core export') {
        const exports = scope.get('core instance', target.instance) as Record<string, unknown>;
        if (!(target.name in exports))
          throw new UnsupportedComponentError(
            `core instance ${target.instance} has no export \`${target.name}\``,
          );
        return exports[target.name];
      }
      if (target.kind === 'export') {
        const exports = scope.get('instance', target.instance) as InstanceValue;
        return exports.get(target.name);
      }
      let outer: RuntimeScope | undefined = scope;
      for (let i = 0; i < target.count; i++) outer = outer?.outer;
      if (!outer) throw new UnsupportedComponentError(`an outer alias reaches past the outermost component`);
      return outer.get(sort, target.index);
    }
    case 'import': {
      const name = definition.name.name;
      if (!args.has(name)) throw new UnsupportedComponentError(`no value for the import \`${name}\``);
      return args.get(name);
    }
    case 'export':
      return scope.item(definition.item);
    case 'canon':
      return canon(scope, definition, state, options);
    case 'start':
      throw new UnsupportedComponentError(
        'the component has a start function, which Skiff’s binder does not run yet; use --binder jco',
      );
  }
}

function instance(
  scope: RuntimeScope,
  definition: InstanceDefinition,
  state: ComponentInstanceState,
  options: LinkOptions,
): InstanceValue {
  const expression = definition.expression;
  if (expression.kind === 'exports') {
    const exports: InstanceValue = new Map();
    for (const { name, item } of expression.exports) exports.set(name.name, scope.item(item));
    return exports;
  }
  const component = scope.get('component', expression.component) as ComponentValue;
  const types = scope.types.instantiations.get(definition);
  if (!types) throw new UnsupportedComponentError('a nested component instance has no resolved types');
  const args = new Map<string, unknown>();
  for (const { name, item } of expression.args) args.set(name, scope.item(item));
  const nested = new RuntimeScope(component.ast, types, component.outer);
  scope.inner.push(nested);
  run(nested, args, state, options);
  const exports: InstanceValue = new Map();
  for (const exported of component.ast.exports) exports.set(exported.name.name, nested.values.get(exported));
  return exports;
}

const kindOf = (canonKind: string): 'stream' | 'future' =>
  canonKind.startsWith('stream.') ? 'stream' : 'future';

/** The element type `T` of the `stream<T>` / `future<T>` type at `typeIndex` (undefined: no payload). */
function elementType(scope: RuntimeScope, typeIndex: number): ValueType | undefined {
  const type = scope.types.types[typeIndex];
  if (type?.kind !== 'value' || (type.type.kind !== 'stream' && type.type.kind !== 'future'))
    throw new UnsupportedComponentError(`type ${typeIndex} is not a stream or future type`);
  return type.type.type;
}

/** What a `canon lower` of a host function needs beyond the instance: worked out once per definition. */
interface PreparedLowering {
  compiled: CompiledFunction;
  resources: ResourceType[];
  host: HostBinding;
  suspending: boolean;
}

const preparedLowerings = new WeakMap<Definition, PreparedLowering>();

function preparedLowering(
  definition: Definition,
  scope: RuntimeScope,
  func: Extract<ComponentFunc, { kind: 'host' }>,
  suspendingImports: ReadonlySet<string>,
): PreparedLowering {
  let prepared = preparedLowerings.get(definition);
  if (!prepared) {
    const c = (definition as Extract<Definition, { kind: 'canon' }>).canon as Extract<
      Extract<Definition, { kind: 'canon' }>['canon'],
      { kind: 'lower' }
    >;
    const type = scope.types.funcs[c.func] as FunctionType;
    const host = hostBinding(func.interfaceName, func.name);
    const async = c.options.async;
    // A WASI 0.3 `async func` lowered synchronously blocks its caller's stack until it resolves.
    const suspending =
      !async && (type.async || suspendingImports.has(`${unversioned(func.interfaceName)}#${func.name}`));
    const compiled = compileLowerImport(type, {
      stringEncoding: c.options.stringEncoding,
      call: host.call,
      ...(suspending ? { suspending } : {}),
      ...(async ? { async } : {}),
      name: `${func.interfaceName}#${func.name}`,
    });
    if (compiled.generated.needsMemory && c.options.memory === undefined)
      throw new UnsupportedComponentError(
        `\`canon lower\` of ${func.interfaceName}#${func.name} passes values through memory but names no memory`,
      );
    prepared = { compiled, resources: collectResources(type), host, suspending };
    preparedLowerings.set(definition, prepared);
  }
  return prepared;
}

/** One GuestMemory per memory, shared by every lift and lower that uses it (one set of views to refresh). */
const guestMemories = new WeakMap<WebAssembly.Memory, GuestMemory>();
function guestMemory(memory: WebAssembly.Memory): GuestMemory {
  let guest = guestMemories.get(memory);
  if (!guest) {
    guest = new GuestMemory(memory);
    guestMemories.set(memory, guest);
  }
  return guest;
}

/** See `dropGuestResource`. Entered through JSPI, as exports are: a destructor may call a blocking import. */
function guestResourceDropper(top: RuntimeScope): (value: unknown) => Promise<void> {
  const definedIn = (scope: RuntimeScope, resource: ResourceType): RuntimeScope | undefined =>
    scope.types.resources.has(resource)
      ? scope
      : scope.inner.reduce<RuntimeScope | undefined>(
          (found, s) => found ?? definedIn(s, resource),
          undefined,
        );
  return async (value) => {
    if (!(value instanceof GuestResource))
      throw new TypeError('expected a resource the component returned (a GuestResource)');
    const scope = definedIn(top, value.resource);
    if (!scope) throw new TypeError(`${value.resource.name} is not a resource this component defines`);
    const rep = guestResourceRep(value, value.resource, true);
    const destructor = destructorOf(scope, value.resource);
    if (destructor) await jspi.promising(destructor)(rep);
  };
}

/** The destructor core function of a resource defined in `scope` or a component around it. */
function destructorOf(scope: RuntimeScope, resource: ResourceType): CoreFunction | undefined {
  for (let s: RuntimeScope | undefined = scope; s; s = s.outer) {
    const definition = s.types.resources.get(resource);
    if (definition)
      return definition.destructor === undefined
        ? undefined
        : (s.get('core func', definition.destructor) as CoreFunction);
  }
  return undefined;
}

function contextFor(
  scope: RuntimeScope,
  canonOptions: CanonOptions,
  state: ComponentInstanceState,
): LiftLowerContext {
  if (
    canonOptions.stringEncoding !== 'utf8' &&
    canonOptions.stringEncoding !== 'utf16' &&
    canonOptions.stringEncoding !== 'latin1+utf16'
  )
    throw new UnsupportedComponentError(`unknown string encoding ${canonOptions.stringEncoding}`);
  const memory =
    canonOptions.memory === undefined
      ? undefined
      : guestMemory(scope.get('core memory', canonOptions.memory) as WebAssembly.Memory);
  const realloc =
    canonOptions.realloc === undefined
      ? undefined
      : (scope.get('core func', canonOptions.realloc) as Realloc);
  const postReturn =
    canonOptions.postReturn === undefined
      ? undefined
      : (scope.get('core func', canonOptions.postReturn) as CoreFunction);
  return new LiftLowerContext(state, {
    stringEncoding: canonOptions.stringEncoding,
    memory,
    realloc,
    postReturn,
  });
}

function canon(
  scope: RuntimeScope,
  definition: Extract<Definition, { kind: 'canon' }>,
  state: ComponentInstanceState,
  options: LinkOptions,
): unknown {
  const c = definition.canon;
  switch (c.kind) {
    case 'lower': {
      const func = scope.get('func', c.func) as ComponentFunc;
      if (func.kind === 'lifted')
        throw new UnsupportedComponentError(
          'the component links two of its own components together (a lifted function lowered again); use --binder jco',
        );
      const lowering = preparedLowering(definition, scope, func, options.suspendingImports);
      const lowered = lowering.compiled.bind(
        contextFor(scope, c.options, state),
        lowering.host.callee(options.hostImports),
        lowering.resources,
      );
      return lowering.suspending ? suspending(lowered) : lowered;
    }
    case 'lift': {
      const core = scope.get('core func', c.coreFunc) as CoreFunction;
      const type = scope.types.funcs[scope.funcIndexOf(definition)] as FunctionType;
      const cx = contextFor(scope, c.options, state);
      // Any export may block on I/O, so every one is entered through JSPI (an async export's
      // callback too: it may call a synchronously lowered import that blocks).
      if (c.options.callback !== undefined)
        cx.callback = jspi.promising(scope.get('core func', c.options.callback) as CoreFunction);
      const call = liftExport(type, {
        cx,
        callee: jspi.promising(core),
        promising: true,
        ...(c.options.async ? { async: c.options.callback === undefined ? 'stackful' : 'callback' } : {}),
      });
      return { kind: 'lifted', call } satisfies ComponentFunc;
    }
    case 'task.return': {
      const result = scope.types.taskReturnTypes.get(definition);
      const cx = contextFor(scope, c.options, state);
      const key = resultKey(result);
      const type: FunctionType = {
        params: result === undefined ? [] : [{ name: 'result', type: result }],
        result: undefined,
        async: false,
      };
      return lowerImport(type, {
        cx,
        callee: (value: unknown) => taskReturn(state, cx, key, value),
        name: 'task.return',
      });
    }
    case 'context.get':
      return contextGet(state, c.slot);
    case 'context.set':
      return contextSet(state, c.slot);
    case 'waitable-set.new':
      return waitableSetNew(state);
    case 'waitable-set.poll':
      return waitableSetPoll(state, guestMemory(scope.get('core memory', c.memory) as WebAssembly.Memory));
    case 'waitable-set.wait':
      return suspending(
        waitableSetWait(state, guestMemory(scope.get('core memory', c.memory) as WebAssembly.Memory)),
      );
    case 'waitable-set.drop':
      return waitableSetDrop(state);
    case 'waitable.join':
      return waitableJoin(state);
    case 'subtask.drop':
      return subtaskDrop(state);
    case 'subtask.cancel':
      return c.async ? subtaskCancel(state, true) : suspending(subtaskCancel(state, false));
    case 'task.cancel':
      return taskCancel(state);
    case 'backpressure.set':
      return backpressureSet(state);
    case 'backpressure.inc':
      return backpressureChange(state, 1);
    case 'backpressure.dec':
      return backpressureChange(state, -1);
    case 'thread.yield':
      return threadYield();
    case 'stream.new':
    case 'future.new':
      return streamOrFutureNew(state, kindOf(c.kind), valueTypeKey(elementType(scope, c.type)));
    case 'stream.read':
    case 'stream.write':
    case 'future.read':
    case 'future.write': {
      const element = elementType(scope, c.type);
      const cx = contextFor(scope, c.options, state);
      const direction = c.kind.endsWith('read') ? 'read' : 'write';
      const copy = copyBuiltin(
        state,
        kindOf(c.kind),
        direction,
        valueTypeKey(element),
        cx,
        elementCodec(element, cx),
        c.options.async,
      );
      return c.options.async ? copy : suspending(copy);
    }
    case 'stream.cancel-read':
    case 'stream.cancel-write':
    case 'future.cancel-read':
    case 'future.cancel-write': {
      const direction = c.kind.endsWith('read') ? 'read' : 'write';
      const cancel = cancelBuiltin(
        state,
        kindOf(c.kind),
        direction,
        valueTypeKey(elementType(scope, c.type)),
        c.async,
      );
      return c.async ? cancel : suspending(cancel);
    }
    case 'stream.drop-readable':
    case 'stream.drop-writable':
    case 'future.drop-readable':
    case 'future.drop-writable':
      return dropBuiltin(
        state,
        kindOf(c.kind),
        c.kind.endsWith('readable') ? 'readable' : 'writable',
        valueTypeKey(elementType(scope, c.type)),
      );
    case 'resource.drop': {
      const resource = scope.resource(c.resource);
      if (resource.imported) return resourceDrop(state, resource);
      const destructor = destructorOf(scope, resource);
      return resourceDrop(state, resource, destructor && ((rep) => destructor(rep)));
    }
    case 'resource.new':
      return resourceNew(state, scope.resource(c.resource));
    case 'resource.rep':
      return resourceRep(state, scope.resource(c.resource));
    default:
      throw new UnsupportedComponentError(
        `the component uses \`canon ${c.kind}\` (WASI 0.3's async ABI), which Skiff's binder does not run yet`,
      );
  }
}
