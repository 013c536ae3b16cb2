/**
 * Resources a loaded component made, as the Node app holds them: an object of the resource's class
 * (`Counter`) standing for the binder's value (Skiff's `GuestResource`, or jco's own object), the
 * instance that made it, and whether it is still the app's to use. Values crossing a call are walked
 * by their WIT type, so a handle nested in a record, list, option or variant is converted too;
 * types that mention no resource are passed through untouched.
 */
import { lowerCamelCase } from '../engine/binding/canonical-abi/js-names.ts';
import { optionIsNullable } from '../engine/binding/canonical-abi/type-walk.ts';
import type { FunctionType, ResourceType, ValueType } from '../engine/binding/value-types.ts';
import { ComponentCallError } from './call-errors.ts';

/** What a handle needs of the instance that made it. */
export interface ResourceOwner {
  /** Set once the instance is gone (why: a timeout, a trap…); its resources are unusable since. */
  discarded: string | undefined;
}

export interface HandleRecord {
  raw: unknown;
  owner: ResourceOwner;
  className: string;
  /** `moved`: passed into the guest as `own`, so no longer the app's. */
  state: 'live' | 'dropped' | 'moved';
}

export interface ResourceClass {
  className: string;
  make(): object;
}

export class ResourceHandles {
  readonly #records = new WeakMap<object, HandleRecord>();
  readonly #file: string;
  /** The class each resource of the component is shown as, and how to make an (empty) object of it. */
  readonly #classes: ReadonlyMap<ResourceType, ResourceClass>;

  constructor(file: string, classes: ReadonlyMap<ResourceType, ResourceClass>) {
    this.#file = file;
    this.#classes = classes;
  }

  record(handle: unknown): HandleRecord | undefined {
    return typeof handle === 'object' && handle !== null ? this.#records.get(handle) : undefined;
  }

  /** Host values of one call's arguments → the binder's. Throws a TypeError for a bad handle. */
  argsToGuest(ft: FunctionType, args: unknown[], owner: ResourceOwner, site: string): unknown[] {
    return ft.params.map((p, i) => this.#toGuest(p.type, args[i], owner, site));
  }

  /** The binder's result (a top-level `result` already unwrapped to its `ok`) → the host's. */
  resultFromGuest(ft: FunctionType, value: unknown, owner: ResourceOwner): unknown {
    const t = ft.result?.kind === 'result' ? ft.result.ok : ft.result;
    return t === undefined ? value : this.#fromGuest(t, value, owner);
  }

  #toGuest(t: ValueType, v: unknown, owner: ResourceOwner, site: string): unknown {
    if (!mentionsResource(t)) return v;
    switch (t.kind) {
      case 'own':
      case 'borrow': {
        if (t.resource.imported) return v;
        const record = this.record(v);
        const wanted = this.#class(t.resource).className;
        if (!record || record.className !== wanted)
          throw new TypeError(`${site}: expected a ${wanted} this component made, got ${describe(v)}`);
        if (record.state !== 'live')
          throw new TypeError(
            `${site}: this ${wanted} was already ${record.state === 'dropped' ? 'dropped' : 'passed on to the component'}`,
          );
        if (record.owner !== owner)
          throw ComponentCallError.staleResource(
            this.#file,
            site,
            wanted,
            record.owner.discarded ?? 'it belongs to another instance',
          );
        if (t.kind === 'own') record.state = 'moved';
        return record.raw;
      }
      default:
        return mapChildren(t, v, (child, value) => this.#toGuest(child, value, owner, site));
    }
  }

  #class(resource: ResourceType): ResourceClass {
    const shown = this.#classes.get(resource);
    // Only a resource no interface of the component exports could get here.
    if (!shown) throw new TypeError(`${resource.name} is not a resource the component exports`);
    return shown;
  }

  #fromGuest(t: ValueType, v: unknown, owner: ResourceOwner): unknown {
    if (!mentionsResource(t)) return v;
    if (t.kind === 'own' || t.kind === 'borrow') {
      if (t.resource.imported) return v;
      const shown = this.#class(t.resource);
      const handle = shown.make();
      this.#records.set(handle, { raw: v, owner, className: shown.className, state: 'live' });
      return handle;
    }
    return mapChildren(t, v, (child, value) => this.#fromGuest(child, value, owner));
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return `an object of ${v.constructor?.name ?? 'no class'}`;
  return `a ${typeof v}`;
}

const mentions = new WeakMap<ValueType, boolean>();

/** Whether a value of type `t` can hold a resource handle (worked out once per type). */
function mentionsResource(t: ValueType): boolean {
  let known = mentions.get(t);
  if (known === undefined) {
    known = t.kind === 'own' || t.kind === 'borrow' || childTypes(t).some(mentionsResource);
    mentions.set(t, known);
  }
  return known;
}

function childTypes(t: ValueType): ValueType[] {
  switch (t.kind) {
    case 'list':
      return [t.element];
    case 'record':
      return t.fields.map((f) => f.type);
    case 'tuple':
      return t.types;
    case 'variant':
      return t.cases.flatMap((c) => (c.type ? [c.type] : []));
    case 'option':
      return [t.type];
    case 'result':
      return [t.ok, t.err].filter((x): x is ValueType => x !== undefined);
    default:
      return [];
  }
}

/** A copy of `v` with each part of a compound type converted by `f`, in jco's JS shapes. */
function mapChildren(t: ValueType, v: unknown, f: (child: ValueType, value: unknown) => unknown): unknown {
  switch (t.kind) {
    case 'list':
    case 'tuple':
      if (!Array.isArray(v)) return v;
      return v.map((x, i) => f(t.kind === 'list' ? t.element : (t.types[i] as ValueType), x));
    case 'record': {
      if (typeof v !== 'object' || v === null) return v;
      const out: Record<string, unknown> = { ...v };
      for (const field of t.fields) {
        const key = lowerCamelCase(field.name);
        out[key] = f(field.type, (v as Record<string, unknown>)[key]);
      }
      return out;
    }
    case 'option':
      if (optionIsNullable(t)) return v === undefined || v === null ? v : f(t.type, v);
      return tagged(v) && v.tag === 'some' ? { tag: 'some', val: f(t.type, v.val) } : v;
    case 'variant':
    case 'result': {
      if (!tagged(v)) return v;
      const payload =
        t.kind === 'variant' ? t.cases.find((c) => c.name === v.tag)?.type : v.tag === 'ok' ? t.ok : t.err;
      return payload === undefined ? v : { ...v, val: f(payload, v.val) };
    }
    default:
      return v;
  }
}

const tagged = (v: unknown): v is { tag: unknown; val?: unknown } =>
  typeof v === 'object' && v !== null && 'tag' in v;
