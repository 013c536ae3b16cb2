/**
 * Errors of the canonical ABI. A guest that breaks an ABI rule traps its own call with a
 * `CanonicalAbiTrap` (a `WebAssembly.RuntimeError`, so code that already treats V8 traps as traps
 * handles it unchanged); the message names the rule. A host that hands the binder an impossible
 * value (a number for a string, an unknown enum case) gets a `TypeError`, as jco's glue does.
 */

/** The rule a trap broke, in the words of `CanonicalABI.md`; tests match on it. */
export type TrapRule =
  | 'out-of-bounds'
  | 'misaligned'
  | 'invalid-utf8'
  | 'invalid-utf16'
  | 'string-too-long'
  | 'list-too-long'
  | 'invalid-discriminant'
  | 'invalid-char'
  | 'invalid-handle'
  | 'handle-type-mismatch'
  | 'handle-not-owned'
  | 'handle-lent'
  | 'borrow-outlived-call'
  | 'table-full'
  | 'may-leave'
  | 'may-enter'
  | 'callback-code'
  | 'task-not-returned'
  | 'task-returned-twice'
  | 'task-return-type'
  | 'task-cancel'
  | 'no-current-task'
  | 'waitable-set-in-use'
  | 'subtask-unresolved'
  | 'subtask-cancel';

const EXPLANATION: Record<TrapRule, string> = {
  'out-of-bounds': 'a pointer and length reach past the end of linear memory',
  misaligned: 'a pointer is not aligned to its type',
  'invalid-utf8': 'a string is not valid UTF-8',
  'invalid-utf16': 'a string is not valid UTF-16',
  'string-too-long': 'a string is longer than MAX_STRING_BYTE_LENGTH (2^28-1 bytes)',
  'list-too-long': 'a list is longer than MAX_LIST_BYTE_LENGTH (2^28-1 bytes)',
  'invalid-discriminant': 'a variant, enum, option or result has no case with this discriminant',
  'invalid-char': 'a char is a surrogate or past 0x10FFFF',
  'invalid-handle': 'a handle index names no live entry of the handle table',
  'handle-type-mismatch': 'a handle names a resource of another type',
  'handle-not-owned': 'an own handle was expected, the handle is a borrow',
  'handle-lent': 'a handle is lent out to a call in progress and cannot be dropped or moved',
  'borrow-outlived-call': 'a borrowed handle was not dropped before its call returned',
  'table-full': 'the handle table is full (2^28-1 entries)',
  'may-leave': 'a guest called out of its instance while it may not leave (inside realloc or post-return)',
  'may-enter': 'the instance was entered again while a call is in progress, or after a trap',
  'callback-code': 'an async callback returned a code other than EXIT (0), YIELD (1) or WAIT (2)',
  'task-not-returned': 'an async export finished without calling task.return',
  'task-returned-twice': 'task.return was called twice for one call, or after task.cancel',
  'task-return-type': 'task.return was called with another result type or other options than its export',
  'task-cancel': 'task.cancel was called for a call whose cancellation was never requested',
  'no-current-task': 'an async built-in was called outside an async export call',
  'waitable-set-in-use': 'a waitable set was dropped while it still has members or waiters',
  'subtask-unresolved': 'a subtask was dropped before its resolution was delivered',
  'subtask-cancel': 'subtask.cancel was called for a subtask already resolved or already cancelled',
};

/** A guest broke a rule of the canonical ABI; the call (and the instance) is over. */
export class CanonicalAbiTrap extends WebAssembly.RuntimeError {
  override name = 'CanonicalAbiTrap';
  readonly rule: TrapRule;
  constructor(rule: TrapRule, detail: string) {
    super(`canonical ABI trap [${rule}]: ${EXPLANATION[rule]} (${detail})`);
    this.rule = rule;
  }
}

export function trap(rule: TrapRule, detail: string): never {
  throw new CanonicalAbiTrap(rule, detail);
}

/**
 * How a caller sees an exported function returning the `err` case of a top-level `result`: thrown,
 * with the error value as `payload`, exactly like jco's `ComponentError` (a non-string payload is
 * also named in the message; `payload` is an own property, enumerable unless it is a string).
 */
export class ComponentError extends Error {
  override name = 'ComponentError';
  declare readonly payload: unknown;
  constructor(payload: unknown) {
    const enumerable = typeof payload !== 'string';
    super(enumerable ? `${String(payload)} (see error.payload)` : (payload as string));
    Object.defineProperty(this, 'payload', { value: payload, enumerable });
  }
}
