/**
 * Scalar conversions the generated code calls: chars, float bit casts for variant joins, the
 * host-side value of resources, and how a host function's thrown error becomes a `result`'s `err`.
 */
import type { ResourceType } from '../value-types.ts';
import type { ComponentInstanceState } from './context.ts';
import { trap } from './trap.ts';

/** `convert_i32_to_char`: traps on surrogates and past 0x10FFFF. `code` is unsigned. */
export function liftChar(code: number): string {
  if (code >= 0x110000 || (code >= 0xd800 && code <= 0xdfff))
    trap('invalid-char', `0x${code.toString(16)} is not a Unicode scalar value`);
  return String.fromCodePoint(code);
}

/** `char_to_i32` for a host value: a string of exactly one Unicode scalar value. */
export function lowerChar(value: unknown): number {
  if (typeof value !== 'string')
    throw new TypeError(`expected a one-character string for a char, got ${typeof value}`);
  const code = value.codePointAt(0);
  if (code === undefined || value.length !== (code > 0xffff ? 2 : 1) || (code >= 0xd800 && code <= 0xdfff))
    throw new TypeError(`expected one Unicode scalar value for a char, got ${JSON.stringify(value)}`);
  return code;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** `decode_i32_as_float` (a variant payload joined into an i32). */
export function i32ToF32(bits: number): number {
  i32[0] = bits;
  return f32[0] as number;
}

export function f32ToI32(value: number): number {
  f32[0] = value;
  return i32[0] as number;
}

export function i64ToF64(bits: bigint): number {
  i64[0] = bits;
  return f64[0] as number;
}

export function f64ToI64(value: number): bigint {
  f64[0] = value;
  return i64[0] as bigint;
}

/**
 * A resource defined by the guest itself, as the host holds it: its type and the guest's i32
 * representation. An owned one is consumed when passed back into the guest as `own`. A borrowed
 * one is only valid during the call that lent it (not yet enforced: WASI 0.2 hosts never receive
 * one). A binder can wrap it in a class with methods and a destructor.
 */
export class GuestResource {
  readonly resource: ResourceType;
  readonly rep: number;
  readonly own: boolean;
  /** Cleared once an owned one is passed back into the guest. */
  live = true;
  constructor(resource: ResourceType, rep: number, own: boolean) {
    this.resource = resource;
    this.rep = rep;
    this.own = own;
  }
}

/** The representation of a guest-defined resource value coming from the host. */
export function guestResourceRep(value: unknown, rt: ResourceType, own: boolean): number {
  if (!(value instanceof GuestResource) || value.resource !== rt)
    throw new TypeError(`expected a ${rt.name} resource of the guest`);
  if (!value.live) throw new TypeError(`the ${rt.name} resource was already dropped or passed on`);
  if (own) {
    if (!value.own) throw new TypeError(`a borrowed ${rt.name} cannot be passed as own`);
    value.live = false;
  }
  return value.rep;
}

/** A host resource value: any object (the host's own instance of its resource class). */
export function hostResource(value: unknown, rt: ResourceType): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null)
    throw new TypeError(
      `expected a ${rt.name} resource object, got ${value === null ? 'null' : typeof value}`,
    );
  return value;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A host function's thrown value when its WIT result is `result<T, E>`: an error carrying an own
 * `payload` property (Skiff's `ResultError`, jco's `ComponentError`) is the `err` case; anything
 * else is a host failure and is rethrown, trapping the guest. (jco also takes a thrown non-Error
 * as the payload, and an Error's message for `result<_, string>`; Skiff does not, so a host bug
 * never reaches the guest as an ordinary error value.)
 */
export function errorPayload(thrown: unknown): unknown {
  if (typeof thrown === 'object' && thrown !== null && hasOwn.call(thrown, 'payload'))
    return (thrown as { payload: unknown }).payload;
  throw thrown;
}

/**
 * An export call that failed while lowering its arguments: a host value the binder cannot lower
 * (a TypeError) leaves the instance enterable again, while a trap (inside `realloc`) does not.
 */
export function abandonCall(instance: ComponentInstanceState, error: unknown): never {
  if (!(error instanceof WebAssembly.RuntimeError)) instance.mayEnter = true;
  throw error;
}
