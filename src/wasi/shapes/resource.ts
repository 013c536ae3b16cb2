/**
 * The building blocks of the WASI host shapes: how a WIT resource and a WIT value look on the JS
 * side of the boundary, in jco's conventions (which Skiff's binder follows too).
 *
 * Conventions every shape follows:
 * - s64/u64 → bigint, other integers and floats → number, list<u8> → Uint8Array, string → string.
 * - record → object with lowerCamelCase fields; flags → object of optional booleans (absent = false);
 *   enum → its case names as strings; variant → `{ tag, val }`; tuple → array; option<T> → T | undefined.
 * - result<T, E> returned by a host function → it returns T, or throws `ResultError<E>`
 *   (src/wasi/result-error.ts). TypeScript cannot type a throw, so each such member says
 *   `@throws ResultError<E>` in its doc comment.
 * - own<R> and borrow<R> → the resource object itself (the binder keeps the handle tables).
 * - A function that blocks (listed in SUSPENDING_IMPORTS, src/engine/core-module.ts) returns a
 *   Promise: under JSPI the guest suspends on it. Every other function returns its value directly.
 */

/**
 * A WIT resource without a constructor: only the host makes one, so its JS constructor is the
 * host's business. `Instance` lists the WIT methods.
 */
export type ResourceClass<Instance> = abstract new (...args: never) => Instance;

/** A WIT resource with `constructor(...)`: the guest builds it with `new` and exactly these arguments. */
export type ConstructibleResource<Instance, Params extends unknown[]> = new (...args: Params) => Instance;

/** The `{ tag, val }` of a WIT `result` passed as a value (a parameter, or nested inside a return). */
export type ResultValue<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };
