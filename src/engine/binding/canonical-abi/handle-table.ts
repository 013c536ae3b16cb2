/**
 * The handle table of one component instance (`CanonicalABI.md` § Table State, § Resource State).
 * Like the spec, there is ONE table per instance: resource handles now, and later the WASI 0.3
 * waitables, waitable sets, subtasks, stream/future ends and error contexts, told apart by `kind`.
 * Entries are stored as parallel arrays (struct of arrays), so adding a handle allocates nothing
 * once the arrays have grown, every access is monomorphic, and a snapshot is a few array copies.
 * Index 0 is never handed out, so 0 can serve guests as a null handle.
 */
import type { ResourceType } from '../value-types.ts';
import { trap } from './trap.ts';

/** What an entry is. New kinds (waitable sets, subtasks, stream ends…) get new numbers. */
export const HandleKind = {
  free: 0,
  /** An owning resource handle (`ResourceHandle.own`). */
  own: 1,
  /** A borrowed resource handle, valid until its borrow scope (the call) ends. */
  borrow: 2,
  errorContext: 3,
  /** A `WaitableSet` (WASI 0.3), its object in `rep`. */
  waitableSet: 4,
  /** A `Subtask`: an async-lowered call in progress (WASI 0.3), its object in `rep`. */
  subtask: 5,
  /** The ends of a stream or future (WASI 0.3), a `CopyEnd` in `rep`. */
  streamReadable: 6,
  streamWritable: 7,
  futureReadable: 8,
  futureWritable: 9,
} as const;
export type HandleKind = (typeof HandleKind)[keyof typeof HandleKind];

const KIND_NAMES: Record<HandleKind, string> = {
  0: 'live',
  1: 'an own handle',
  2: 'a borrow handle',
  3: 'an error-context',
  4: 'a waitable set',
  5: 'a subtask',
  6: 'the readable end of a stream',
  7: 'the writable end of a stream',
  8: 'the readable end of a future',
  9: 'the writable end of a future',
};

/**
 * The `Task` that borrowed handles were lent to (`Task.num_borrows`): a synchronous export call.
 * WASI 0.3 tasks will extend this.
 */
export class BorrowScope {
  numBorrows = 0;
}

/** The `error-context` value (📝): an immutable debug message. */
export class ErrorContext {
  readonly debugMessage: string;
  constructor(debugMessage: string) {
    this.debugMessage = debugMessage;
  }
}

export interface HandleTableSnapshot {
  readonly kind: readonly number[];
  readonly type: readonly (ResourceType | undefined)[];
  readonly rep: readonly unknown[];
  readonly lends: readonly number[];
  readonly scope: readonly (BorrowScope | undefined)[];
  readonly free: readonly number[];
}

/** Most entries a table may hold (`Table.MAX_LENGTH`): indices keep their top 4 bits free. */
export const MAX_TABLE_LENGTH = 2 ** 28 - 1;

function describe(rt: ResourceType | undefined): string {
  return rt === undefined ? 'no resource' : rt.name;
}

export class HandleTable {
  // Parallel arrays indexed by handle; entry 0 is reserved.
  kind: number[] = [HandleKind.free];
  /** The resource type of a resource handle. */
  type: (ResourceType | undefined)[] = [undefined];
  /** The representation: the host's object for a host resource, the guest's i32 for its own. */
  rep: unknown[] = [undefined];
  /** `ResourceHandle.num_lends`: calls in progress this handle is lent to as a borrow. */
  lends: number[] = [0];
  /** `ResourceHandle.borrow_scope` of a borrow handle. */
  scope: (BorrowScope | undefined)[] = [undefined];
  /** Free indices, most recently freed last (reused first, as the spec's free list). */
  free: number[] = [];
  /** Handles lent (lift_borrow) to host calls in progress, most recent last; see `endLends`. */
  readonly lendStack: number[] = [];

  get size(): number {
    return this.kind.length - 1 - this.free.length;
  }

  add(
    kind: HandleKind,
    type: ResourceType | undefined,
    rep: unknown,
    scope: BorrowScope | undefined,
  ): number {
    let i = this.free.pop();
    if (i === undefined) {
      i = this.kind.length;
      if (i > MAX_TABLE_LENGTH) trap('table-full', `adding a handle of ${describe(type)}`);
      this.kind.push(kind);
      this.type.push(type);
      this.rep.push(rep);
      this.lends.push(0);
      this.scope.push(scope);
      return i;
    }
    this.kind[i] = kind;
    this.type[i] = type;
    this.rep[i] = rep;
    this.lends[i] = 0;
    this.scope[i] = scope;
    return i;
  }

  #remove(i: number): void {
    this.kind[i] = HandleKind.free;
    this.type[i] = undefined;
    this.rep[i] = undefined;
    this.scope[i] = undefined;
    this.free.push(i);
  }

  /** Traps unless `i` is a live resource handle of type `rt`. */
  #checkResource(i: number, rt: ResourceType, what: string): void {
    const kind = this.kind[i];
    if (kind === undefined || (kind !== HandleKind.own && kind !== HandleKind.borrow))
      trap('invalid-handle', `${what}: handle ${i} of ${rt.name} is not a live resource handle`);
    if (this.type[i] !== rt)
      trap('handle-type-mismatch', `${what}: handle ${i} is a ${describe(this.type[i])}, not a ${rt.name}`);
  }

  /** `lower_own`: a new owning handle for `rep`. */
  addOwn(rt: ResourceType, rep: unknown): number {
    return this.add(HandleKind.own, rt, rep, undefined);
  }

  /** `lower_borrow` (for a resource not defined by this instance): a handle valid during `scope`. */
  addBorrow(rt: ResourceType, rep: unknown, scope: BorrowScope): number {
    scope.numBorrows++;
    return this.add(HandleKind.borrow, rt, rep, scope);
  }

  /** `lift_own`: moves the resource out of the table; the handle must be owned and not lent. */
  liftOwn(i: number, rt: ResourceType): unknown {
    this.#checkResource(i, rt, 'passing an own handle');
    if (this.kind[i] !== HandleKind.own)
      trap('handle-not-owned', `passing handle ${i} of ${rt.name} as own, but it is a borrow`);
    if (this.lends[i] !== 0) trap('handle-lent', `passing handle ${i} of ${rt.name} as own`);
    const rep = this.rep[i];
    this.#remove(i);
    return rep;
  }

  /**
   * `lift_borrow`: the resource stays in the table and is lent to the call in progress; the caller
   * ends the loan with `endLends(mark)` once the call returns (`Subtask.deliver_resolve`).
   */
  liftBorrow(i: number, rt: ResourceType): unknown {
    this.#checkResource(i, rt, 'passing a borrow');
    this.lends[i] = (this.lends[i] as number) + 1;
    this.lendStack.push(i);
    return this.rep[i];
  }

  /** Where the lend stack is now; pass it to `endLends` after the call. */
  lendMark(): number {
    return this.lendStack.length;
  }

  endLends(mark: number): void {
    const stack = this.lendStack;
    while (stack.length > mark) {
      const i = stack.pop() as number;
      this.lends[i] = (this.lends[i] as number) - 1;
    }
  }

  /** `canon resource.rep`. */
  resourceRep(i: number, rt: ResourceType): unknown {
    this.#checkResource(i, rt, 'resource.rep');
    return this.rep[i];
  }

  /**
   * `canon resource.drop`: removes the handle; returns the representation of an owned resource
   * (whose destructor the caller then runs) or `undefined` for a borrow (which ends it).
   */
  resourceDrop(i: number, rt: ResourceType): unknown {
    this.#checkResource(i, rt, 'resource.drop');
    if (this.lends[i] !== 0) trap('handle-lent', `resource.drop of handle ${i} of ${rt.name}`);
    if (this.kind[i] === HandleKind.borrow) {
      const scope = this.scope[i] as BorrowScope;
      scope.numBorrows--;
      this.#remove(i);
      return undefined;
    }
    const rep = this.rep[i];
    this.#remove(i);
    return rep;
  }

  /** Adds a WASI 0.3 object (waitable set, subtask…) under its kind. */
  addObject(kind: HandleKind, value: object): number {
    return this.add(kind, undefined, value, undefined);
  }

  /** The object at `i`, trapping unless it is of `kind`. */
  object<T>(i: number, kind: HandleKind, what: string): T {
    if (this.kind[i] !== kind) trap('invalid-handle', `${what}: handle ${i} is not ${KIND_NAMES[kind]}`);
    return this.rep[i] as T;
  }

  /** Removes the object at `i`, trapping unless it is of `kind`. */
  removeObject<T>(i: number, kind: HandleKind, what: string): T {
    const value = this.object<T>(i, kind, what);
    this.#remove(i);
    return value;
  }

  /**
   * The handles lent since `mark`, taken off the lend stack but still lent: an async call keeps
   * its borrows until it resolves, then ends them with `endLendsOf`.
   */
  takeLends(mark: number): number[] {
    return this.lendStack.splice(mark);
  }

  endLendsOf(lent: readonly number[]): void {
    for (const i of lent) this.lends[i] = (this.lends[i] as number) - 1;
  }

  addErrorContext(value: ErrorContext): number {
    return this.add(HandleKind.errorContext, undefined, value, undefined);
  }

  /** `lift_error_context`: the handle stays (until `error-context.drop`). */
  errorContext(i: number): ErrorContext {
    if (this.kind[i] !== HandleKind.errorContext)
      trap('invalid-handle', `handle ${i} is not an error-context`);
    return this.rep[i] as ErrorContext;
  }

  /** Live entries, e.g. to release what a guest left open when its instance is disposed. */
  *entries(): IterableIterator<{
    index: number;
    kind: HandleKind;
    type: ResourceType | undefined;
    rep: unknown;
  }> {
    for (let i = 1; i < this.kind.length; i++) {
      const kind = this.kind[i] as HandleKind;
      if (kind !== HandleKind.free) yield { index: i, kind, type: this.type[i], rep: this.rep[i] };
    }
  }

  snapshot(): HandleTableSnapshot {
    if (this.lendStack.length > 0) throw new Error('cannot snapshot a handle table during a call');
    return {
      kind: this.kind.slice(),
      type: this.type.slice(),
      rep: this.rep.slice(),
      lends: this.lends.slice(),
      scope: this.scope.slice(),
      free: this.free.slice(),
    };
  }

  restore(s: HandleTableSnapshot): void {
    this.kind = s.kind.slice();
    this.type = s.type.slice();
    this.rep = s.rep.slice();
    this.lends = s.lends.slice();
    this.scope = s.scope.slice();
    this.free = s.free.slice();
    this.lendStack.length = 0;
  }
}
