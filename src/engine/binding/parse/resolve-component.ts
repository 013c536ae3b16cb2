/**
 * Evaluates a component's definitions at the type level, in binary order, filling a
 * `ComponentScope` whose arrays line up with the decoded index spaces (`types[i]` is type index
 * i, `funcs[i]` func index i, …). A nested component is evaluated again each time it is
 * instantiated, with its imports bound to the arguments, so a resource passed in keeps its
 * identity and a resource defined inside is new per instance, as the spec says.
 */
import type { ResourceType, ValueType } from '../value-types.ts';
import type { Component, Definition, InstanceDefinition, SortIndex, TypeDefinition } from './ast.ts';
import { SECTION_NAMES } from './decode-component.ts';
import {
  bindExtern,
  type ComponentShape,
  checkUnusedTypes,
  fail,
  funcTypeAt,
  type InstanceShape,
  type ItemSource,
  type Place,
  type ResolvedItem,
  resolveTypeDefinition,
  resolveValType,
  SORT_ITEM_KIND,
  TypeScope,
} from './resolve-types.ts';

/** A resource the component defines itself: what `canon resource.new/rep` and its destructor need. */
export interface ResourceDefinition {
  /** Type index of the definition in its component. */
  typeIndex: number;
  rep: Extract<TypeDefinition, { kind: 'resource' }>['rep'];
  /** Core func index of the destructor in the defining component, if any. */
  destructor: number | undefined;
}

/** A component's index spaces, resolved, plus what the binder needs beyond types. */
export class ComponentScope extends TypeScope {
  readonly component: Component;
  readonly imports = new Map<string, ResolvedItem>();
  readonly exports = new Map<string, ResolvedItem>();
  /** Resources this component defines (not those it imports). */
  readonly resources = new Map<ResourceType, ResourceDefinition>();
  /** For each instantiation of a nested component definition, the nested component's scope. */
  readonly instantiations = new Map<InstanceDefinition, ComponentScope>();
  /** The result type of each `canon task.return` (undefined: it returns nothing). */
  readonly taskReturnTypes = new Map<Definition, ValueType | undefined>();

  constructor(component: Component, parent: TypeScope | undefined) {
    super('component', parent);
    this.component = component;
  }
}

interface DefinitionShape extends ComponentShape {
  evaluate(args: Map<string, ResolvedItem>, place: Place): ComponentScope;
  instantiated: boolean;
}

const SECTION_OF: Record<Definition['kind'], string> = {
  'core module': SECTION_NAMES[1],
  'core instance': SECTION_NAMES[2],
  'core type': SECTION_NAMES[3],
  component: SECTION_NAMES[4],
  instance: SECTION_NAMES[5],
  alias: SECTION_NAMES[6],
  type: SECTION_NAMES[7],
  canon: SECTION_NAMES[8],
  start: SECTION_NAMES[9],
  import: SECTION_NAMES[10],
  export: SECTION_NAMES[11],
  value: SECTION_NAMES[12],
};

export function placeOf(definition: Definition, witName?: string): Place {
  return { section: SECTION_OF[definition.kind], offset: definition.offset, witName };
}

function itemAt(scope: TypeScope, { sort, index }: SortIndex, place: Place): ResolvedItem {
  const missing = (): never => fail(`${sort} index ${index} is out of range`, place);
  switch (sort) {
    case 'func':
      return { kind: 'func', type: scope.funcs[index] ?? missing() };
    case 'type':
      return { kind: 'type', type: scope.types[index] ?? missing() };
    case 'instance':
      return { kind: 'instance', shape: scope.instances[index] ?? missing() };
    case 'component':
      return { kind: 'component', shape: scope.components[index] ?? missing() };
    case 'value':
      return { kind: 'value', type: scope.values[index] ?? missing() };
    case 'core module':
      return { kind: 'module' };
    default:
      return fail(`a ${sort} cannot be passed to a component or exported`, place);
  }
}

/** Evaluates `component`; `importSource` says where each import's items (and resources) come from. */
export function evaluateComponent(
  component: Component,
  parent: TypeScope | undefined,
  importSource: (name: string, place: Place) => ItemSource,
): ComponentScope {
  const scope = new ComponentScope(component, parent);
  const nested: DefinitionShape[] = [];
  for (const definition of component.definitions) {
    evaluateDefinition(scope, definition, importSource);
    if (definition.kind === 'component') nested.push(scope.components.at(-1) as DefinitionShape);
  }
  checkUnusedTypes(scope, { section: 'type', offset: component.offset });
  for (const shape of nested)
    if (!shape.instantiated) shape.check({ section: 'component', offset: component.offset });
  return scope;
}

function evaluateDefinition(
  scope: ComponentScope,
  definition: Definition,
  importSource: (name: string, place: Place) => ItemSource,
): void {
  const place = placeOf(definition);
  switch (definition.kind) {
    case 'core module':
    case 'core instance':
    case 'core type':
      return;
    case 'type': {
      const typeIndex = scope.types.length;
      const type = definition.type;
      const defineResource = (): ResourceType => {
        if (type.kind !== 'resource') throw new Error('unreachable');
        const resource: ResourceType = { kind: 'resource', name: `resource-${typeIndex}`, imported: false };
        scope.resources.set(resource, { typeIndex, rep: type.rep, destructor: type.destructor });
        return resource;
      };
      scope.types.push(resolveTypeDefinition(type, scope, place, defineResource));
      return;
    }
    case 'import': {
      const name = definition.name.name;
      const at = placeOf(definition, name);
      if (scope.imports.has(name)) fail(`\`${name}\` is imported twice`, at);
      const item = bindExtern(definition.type, scope, importSource(name, at), at);
      scope.imports.set(name, item);
      scope.push(item);
      return;
    }
    case 'export': {
      const name = definition.name.name;
      const at = placeOf(definition, name);
      let item = itemAt(scope, definition.item, at);
      // An ascribed type narrows what the outside sees, keeping the identity of the resources.
      if (definition.type) item = bindExtern(definition.type, scope, { kind: 'given', item }, at);
      if (scope.exports.has(name)) fail(`\`${name}\` is exported twice`, at);
      scope.exports.set(name, item);
      scope.push(item);
      return;
    }
    case 'alias':
      evaluateAlias(scope, definition.alias, place);
      return;
    case 'instance':
      evaluateInstance(scope, definition, place);
      return;
    case 'component':
      scope.components.push(definitionShape(definition.component, scope));
      return;
    case 'canon':
      evaluateCanon(scope, definition, place);
      return;
    case 'start': {
      const type =
        scope.funcs[definition.func] ?? fail(`func index ${definition.func} is out of range`, place);
      const results = type.result === undefined ? 0 : 1;
      if (definition.results !== results)
        fail(`start expects ${definition.results} results; the function has ${results}`, place);
      if (type.result) scope.values.push(type.result);
      return;
    }
    case 'value':
      scope.values.push(resolveValType(definition.type, scope, place));
      return;
  }
}

function evaluateAlias(
  scope: ComponentScope,
  alias: Extract<Definition, { kind: 'alias' }>['alias'],
  place: Place,
): void {
  const { sort, target } = alias;
  if (target.kind === 'core export') return;
  if (target.kind === 'outer') {
    const outer = scope.outer(target.count, place);
    if (sort === 'type') scope.types.push(outer.type(target.index, place));
    else if (sort === 'component') {
      scope.components.push(
        outer.components[target.index] ?? fail(`component index ${target.index} is out of range`, place),
      );
    }
    return;
  }
  const instance =
    scope.instances[target.instance] ?? fail(`instance index ${target.instance} is out of range`, place);
  const item = instance.exports.get(target.name);
  if (!item)
    fail(`instance ${target.instance} has no export \`${target.name}\``, { ...place, witName: target.name });
  if (item.kind !== SORT_ITEM_KIND[sort]) {
    fail(`export \`${target.name}\` of instance ${target.instance} is a ${item.kind}, not a ${sort}`, place);
  }
  scope.push(item);
}

function evaluateInstance(scope: ComponentScope, definition: InstanceDefinition, place: Place): void {
  const expression = definition.expression;
  if (expression.kind === 'exports') {
    const exports = new Map<string, ResolvedItem>();
    for (const { name, item } of expression.exports) {
      if (exports.has(name.name)) fail(`\`${name.name}\` is exported twice`, place);
      exports.set(name.name, itemAt(scope, item, { ...place, witName: name.name }));
    }
    scope.instances.push({ exports });
    return;
  }
  const shape =
    scope.components[expression.component] ??
    fail(`component index ${expression.component} is out of range`, place);
  const args = new Map<string, ResolvedItem>();
  for (const { name, item } of expression.args) {
    if (args.has(name)) fail(`instantiation argument \`${name}\` is given twice`, place);
    args.set(name, itemAt(scope, item, { ...place, witName: name }));
  }
  for (const { name, kind } of shape.imports) {
    const arg = args.get(name);
    if (!arg) fail(`instantiating component ${expression.component} without its import \`${name}\``, place);
    if (arg.kind !== kind) {
      fail(
        `import \`${name}\` of component ${expression.component} is a ${kind} but a ${arg.kind} is given`,
        place,
      );
    }
  }
  let exports: InstanceShape;
  if ('evaluate' in shape) {
    const nested = (shape as DefinitionShape).evaluate(args, place);
    scope.instantiations.set(definition, nested);
    exports = { exports: nested.exports };
  } else exports = shape.instantiate(args, place, `instance-${scope.instances.length}`);
  scope.instances.push(exports);
}

function evaluateCanon(
  scope: ComponentScope,
  definition: Extract<Definition, { kind: 'canon' }>,
  place: Place,
): void {
  const canon = definition.canon;
  switch (canon.kind) {
    case 'lift':
      scope.funcs.push(funcTypeAt(scope, canon.type, place));
      return;
    case 'resource.new':
    case 'resource.rep':
    case 'resource.drop': {
      const type = scope.type(canon.resource, place);
      if (type.kind !== 'resource')
        fail(`canon ${canon.kind} of type ${canon.resource}, a ${type.kind} type, not a resource`, place);
      if (canon.kind !== 'resource.drop' && !scope.resources.has(type.resource)) {
        fail(
          `canon ${canon.kind} of \`${type.resource.name}\`, a resource this component does not define`,
          place,
        );
      }
      return;
    }
    case 'task.return':
      scope.taskReturnTypes.set(
        definition,
        canon.result === undefined ? undefined : resolveValType(canon.result, scope, place),
      );
      return;
    default:
      if ('type' in canon && typeof canon.type === 'number') {
        const expected = canon.kind.startsWith('stream.') ? 'stream' : 'future';
        const type = scope.type(canon.type, place);
        if (type.kind !== 'value' || type.type.kind !== expected) {
          fail(`canon ${canon.kind} of type ${canon.type}, which is not a ${expected} type`, place);
        }
      }
  }
}

function definitionShape(component: Component, parent: ComponentScope): DefinitionShape {
  const shape: DefinitionShape = {
    imports: component.imports.map((i) => ({ name: i.name.name, kind: i.type.kind })),
    instantiated: false,
    evaluate(args, place) {
      shape.instantiated = true;
      return evaluateComponent(component, parent, (name) => {
        const item = args.get(name) ?? fail(`instantiation is missing the argument \`${name}\``, place);
        return { kind: 'given', item };
      });
    },
    instantiate: (args, place) => ({ exports: shape.evaluate(args, place).exports }),
    // A definition nobody instantiates is still checked, its imports made up.
    check: () => void evaluateComponent(component, parent, (name) => ({ kind: 'fresh', name })),
  };
  return shape;
}
