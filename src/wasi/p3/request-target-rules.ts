/**
 * What a WASI 0.3 guest may set as a request's method, scheme, path and authority (RFC 9110 §9,
 * RFC 3986 §3): a refused value is `Err(())` to the guest, never a malformed request on the wire.
 * Standard names given as `other(…)` come back as their own case, as the 0.3 suite expects.
 */
import { type Method, methodFromString, type Scheme } from '../http/messages.ts';

/** RFC 9110 §5.6.2 `token`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 3986 §3.1. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
/** Path and query: unreserved, pct-encoded, sub-delims, `:@/?`, and raw UTF-8 (it happens). */
const PATH = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@/?\u0080-\u{10FFFF}]*$/u;
const UNRESERVED_SUB = "A-Za-z0-9\\-._~%!$&'()*+,;=";
/** `[userinfo@]host[:port]`, the host a reg-name, an IPv4 address or a bracketed IPv6 one. */
const AUTHORITY = new RegExp(
  `^(?:[${UNRESERVED_SUB}:]*@)?(?:\\[[0-9A-Fa-f:.]+\\]|[${UNRESERVED_SUB}]+)(?::[0-9]*)?$`,
);

/** The method as the guest will read it back, or undefined when it is not a method. */
export function validMethod(method: Method): Method | undefined {
  if (method.tag !== 'other') return method;
  const name = String(method.val);
  return TOKEN.test(name) ? methodFromString(name) : undefined;
}

export function validScheme(scheme: Scheme): Scheme | undefined {
  if (scheme.tag !== 'other') return scheme;
  const name = scheme.val;
  if (name.toLowerCase() === 'http') return { tag: 'HTTP' };
  if (name.toLowerCase() === 'https') return { tag: 'HTTPS' };
  return SCHEME.test(name) ? scheme : undefined;
}

/** An empty path is `/` (RFC 9112 §3.2.1: the origin form is never empty). */
export function validPathWithQuery(path: string): string | undefined {
  if (path === '') return '/';
  return PATH.test(path) ? path : undefined;
}

export function validAuthority(authority: string): string | undefined {
  return AUTHORITY.test(authority) ? authority : undefined;
}
