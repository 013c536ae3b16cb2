/**
 * The definitions of one component's sections. Each definition lands in the index space of its
 * sort the moment it is read, as the spec builds them, so every index a definition mentions is
 * checked against the spaces as they stand at that point (type-internal indices are checked by
 * the resolver, which knows the scopes of instance and component types).
 */
import type {
  Component,
  CustomSection,
  Definition,
  ExternType,
  IndexSpaces,
  InstanceExpression,
  Sort,
  SortIndex,
} from './ast.ts';
import { readCanon } from './decode-canon.ts';
import { readCoreTypeDefinition } from './decode-core-types.ts';
import { NAME_SECTION, readComponentNames } from './decode-names.ts';
import {
  readAlias,
  readCoreSort,
  readExternName,
  readExternType,
  readSortIndex,
  readTypeDefinition,
  readValType,
} from './decode-types.ts';
import { type ByteReader, hex } from './reader.ts';

/** Decodes a nested component occupying `[start, end)` of the same bytes. */
export type NestedDecoder = (start: number, end: number, parents: Component[]) => Component;

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

export class SectionDecoder {
  private readonly component: Component;
  private readonly spaces: IndexSpaces;
  private readonly parents: Component[];
  private readonly decodeNested: NestedDecoder;

  constructor(component: Component, parents: Component[], decodeNested: NestedDecoder) {
    this.component = component;
    this.spaces = component.spaces;
    this.parents = parents;
    this.decodeNested = decodeNested;
  }

  section(id: number, r: ByteReader): void {
    switch (id) {
      case 0:
        this.custom(r);
        break;
      case 1:
        this.coreModule(r);
        break;
      case 2:
        r.each(() => this.coreInstance(r));
        break;
      case 3:
        r.each(() => this.coreType(r));
        break;
      case 4:
        this.nestedComponent(r);
        break;
      case 5:
        r.each(() => this.instance(r));
        break;
      case 6:
        r.each(() => this.alias(r));
        break;
      case 7:
        r.each(() => this.define({ kind: 'type', offset: r.offset, type: readTypeDefinition(r) }, 'type'));
        break;
      case 8:
        r.each(() => this.canon(r));
        break;
      case 9:
        this.start(r);
        break;
      case 10:
        r.each(() => this.import(r));
        break;
      case 11:
        r.each(() => this.export(r));
        break;
      case 12:
        r.each(() => this.value(r));
        break;
    }
  }

  private define(definition: Definition, sort: Sort | undefined): void {
    this.component.definitions.push(definition);
    if (sort !== undefined) this.spaces[sort].push(definition);
  }

  private check(r: ByteReader, sort: Sort, index: number, at: number, what: string): void {
    const size = this.spaces[sort].length;
    if (index >= size) {
      r.fail(
        `${what} refers to ${sort} ${index}, but only ${size} ${sort} ${size === 1 ? 'is' : 'are'} defined so far`,
        at,
      );
    }
  }

  private checkSortIndex(r: ByteReader, item: SortIndex, at: number, what: string): void {
    this.check(r, item.sort, item.index, at, what);
  }

  private custom(r: ByteReader): void {
    const offset = r.offset;
    const name = r.name();
    const section: CustomSection = { name, data: r.bytesView(r.end - r.offset), offset };
    this.component.customSections.push(section);
    if (name === NAME_SECTION) this.component.names = readComponentNames(section);
  }

  private coreModule(r: ByteReader): void {
    const offset = r.offset;
    const view = r.bytesView(r.end - r.offset);
    if (view.length < 8 || !MAGIC.every((b, i) => view[i] === b) || view[4] !== 1 || view[6] !== 0) {
      r.fail('a core module section that does not hold a core module (\\0asm, version 1)', offset);
    }
    this.define({ kind: 'core module', bytes: view, offset }, 'core module');
  }

  private nestedComponent(r: ByteReader): void {
    const offset = r.offset;
    const component = this.decodeNested(r.offset, r.end, [...this.parents, this.component]);
    r.offset = r.end;
    this.define({ kind: 'component', component, offset }, 'component');
  }

  private coreInstance(r: ByteReader): void {
    const offset = r.offset;
    const form = r.byte();
    if (form === 0x00) {
      const module = r.u32();
      this.check(r, 'core module', module, offset, 'core instance');
      const args = r.vec((x) => {
        const at = x.offset;
        const name = x.name();
        const sort = x.byte();
        if (sort !== 0x12)
          x.fail(`a core instantiation argument must be a core instance (0x12), not 0x${hex(sort)}`, at);
        const instance = x.u32();
        this.check(x, 'core instance', instance, at, `core instantiation argument \`${name}\``);
        return { name, instance };
      });
      this.define(
        { kind: 'core instance', expression: { kind: 'instantiate', module, args }, offset },
        'core instance',
      );
    } else if (form === 0x01) {
      const exports = r.vec((x) => {
        const at = x.offset;
        const name = x.name();
        const item = { sort: readCoreSort(x) as Sort, index: x.u32() };
        this.checkSortIndex(x, item, at, `core instance export \`${name}\``);
        return { name, item };
      });
      this.define(
        { kind: 'core instance', expression: { kind: 'exports', exports }, offset },
        'core instance',
      );
    } else r.fail(`unknown core instance form 0x${hex(form)}`, offset);
  }

  private coreType(r: ByteReader): void {
    const offset = r.offset;
    const type = readCoreTypeDefinition(r);
    if (type.kind === 'module') this.define({ kind: 'core type', type, offset }, 'core type');
    else
      for (const member of type.types) this.define({ kind: 'core type', type: member, offset }, 'core type');
  }

  private instance(r: ByteReader): void {
    const offset = r.offset;
    const form = r.byte();
    let expression: InstanceExpression;
    if (form === 0x00) {
      const component = r.u32();
      this.check(r, 'component', component, offset, 'instance');
      const args = r.vec((x) => {
        const at = x.offset;
        const name = x.name();
        const item = readSortIndex(x);
        this.checkSortIndex(x, item, at, `instantiation argument \`${name}\``);
        return { name, item };
      });
      expression = { kind: 'instantiate', component, args };
    } else if (form === 0x01) {
      const exports = r.vec((x) => {
        const at = x.offset;
        const name = readExternName(x);
        const item = readSortIndex(x);
        this.checkExportable(x, item.sort, at);
        this.checkSortIndex(x, item, at, `instance export \`${name.name}\``);
        return { name, item };
      });
      expression = { kind: 'exports', exports };
    } else r.fail(`unknown instance form 0x${hex(form)}`, offset);
    this.define({ kind: 'instance', expression, offset }, 'instance');
  }

  private alias(r: ByteReader): void {
    const offset = r.offset;
    const alias = readAlias(r);
    const { target, sort } = alias;
    if (target.kind === 'export') this.check(r, 'instance', target.instance, offset, 'alias');
    else if (target.kind === 'core export') this.check(r, 'core instance', target.instance, offset, 'alias');
    else {
      if (target.count > this.parents.length) {
        r.fail(
          `outer alias reaches ${target.count} components out, but it is nested ${this.parents.length} deep`,
          offset,
        );
      }
      const scope =
        target.count === 0 ? this.component : (this.parents[this.parents.length - target.count] as Component);
      const size = scope.spaces[sort].length;
      if (target.index >= size) {
        r.fail(
          `outer alias refers to ${sort} ${target.index} of an enclosing component that has ${size}`,
          offset,
        );
      }
    }
    this.define({ kind: 'alias', alias, offset }, sort);
  }

  private canon(r: ByteReader): void {
    const offset = r.offset;
    const canon = readCanon(r);
    const what = `canon ${canon.kind}`;
    const check = (sort: Sort, index: number | undefined) => {
      if (index !== undefined) this.check(r, sort, index, offset, what);
    };
    if ('options' in canon) {
      const o = canon.options;
      check('core memory', o.memory);
      check('core func', o.realloc);
      check('core func', o.postReturn);
      check('core func', o.callback);
      check('core type', o.coreType);
    }
    switch (canon.kind) {
      case 'lift':
        check('core func', canon.coreFunc);
        check('type', canon.type);
        break;
      case 'lower':
        check('func', canon.func);
        break;
      case 'resource.new':
      case 'resource.drop':
      case 'resource.rep':
        check('type', canon.resource);
        break;
      case 'task.return':
        if (typeof canon.result === 'number') check('type', canon.result);
        break;
      case 'waitable-set.wait':
      case 'waitable-set.poll':
        check('core memory', canon.memory);
        break;
      case 'thread.new-indirect':
      case 'thread.spawn-indirect':
        check('core type', canon.coreType);
        check('core table', canon.table);
        break;
      case 'thread.spawn-ref':
        check('core type', canon.coreType);
        break;
      default:
        if ('type' in canon && typeof canon.type === 'number') check('type', canon.type);
    }
    this.define({ kind: 'canon', canon, offset }, canon.kind === 'lift' ? 'func' : 'core func');
  }

  private start(r: ByteReader): void {
    const offset = r.offset;
    const func = r.u32();
    this.check(r, 'func', func, offset, 'start');
    const args = r.vec((x) => x.u32());
    for (const arg of args) this.check(r, 'value', arg, offset, 'start argument');
    const results = r.u32();
    const definition: Definition = { kind: 'start', func, args, results, offset };
    this.define(definition, undefined);
    for (let i = 0; i < results; i++) this.spaces.value.push(definition);
  }

  private checkExternType(r: ByteReader, type: ExternType, at: number, what: string): void {
    switch (type.kind) {
      case 'module':
        this.check(r, 'core type', type.type, at, what);
        return;
      case 'func':
      case 'component':
      case 'instance':
        this.check(r, 'type', type.type, at, what);
        return;
      case 'type':
        if (type.bound.kind === 'eq') this.check(r, 'type', type.bound.type, at, what);
        return;
      case 'value':
        if (type.bound.kind === 'eq') this.check(r, 'value', type.bound.value, at, what);
        else if (typeof type.bound.type === 'number') this.check(r, 'type', type.bound.type, at, what);
    }
  }

  private checkExportable(r: ByteReader, sort: Sort, at: number): void {
    if (sort.startsWith('core ') && sort !== 'core module') {
      r.fail(`a component cannot export a \`${sort}\` (only core modules among core sorts)`, at);
    }
  }

  private import(r: ByteReader): void {
    const offset = r.offset;
    const name = readExternName(r);
    const type = readExternType(r);
    this.checkExternType(r, type, offset, `import \`${name.name}\``);
    const definition = { kind: 'import', name, type, offset } as const;
    this.component.imports.push(definition);
    this.define(definition, EXTERN_SORT[type.kind]);
  }

  private export(r: ByteReader): void {
    const offset = r.offset;
    const name = readExternName(r);
    const item = readSortIndex(r);
    this.checkExportable(r, item.sort, offset);
    this.checkSortIndex(r, item, offset, `export \`${name.name}\``);
    const type = r.optional(readExternType, 'an export type');
    if (type !== undefined) {
      this.checkExternType(r, type, offset, `export \`${name.name}\``);
      if (EXTERN_SORT[type.kind] !== item.sort) {
        r.fail(`export \`${name.name}\` is a ${item.sort} but its declared type is a ${type.kind}`, offset);
      }
    }
    const definition = { kind: 'export', name, item, type, offset } as const;
    this.component.exports.push(definition);
    this.define(definition, item.sort);
  }

  private value(r: ByteReader): void {
    const offset = r.offset;
    const type = readValType(r);
    if (typeof type === 'number') this.check(r, 'type', type, offset, 'value');
    const length = r.u32();
    this.define({ kind: 'value', type, bytes: r.bytesView(length), offset }, 'value');
  }
}

const EXTERN_SORT: Record<ExternType['kind'], Sort> = {
  module: 'core module',
  func: 'func',
  value: 'value',
  type: 'type',
  component: 'component',
  instance: 'instance',
};
