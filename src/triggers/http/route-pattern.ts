/**
 * HTTP route syntax, with Spin's meaning:
 *   `/cart`          exact
 *   `/users/:id`     `:name` matches exactly one path segment
 *   `/static/...`    trailing wildcard: `/static`, `/static/a/b`, …
 *   `/...`           everything
 * Shared by the manifest validator (syntax errors with file:line) and the router (matching).
 */

export type RouteSegment = { kind: 'literal'; value: string } | { kind: 'param'; name: string };

export interface RoutePattern {
  /** The route as written, trailing slash removed (`/` stays `/`). */
  source: string;
  segments: RouteSegment[];
  /** True for `…/...`: matches the prefix and anything below it. */
  wildcard: boolean;
  /** Same for routes that match the same paths (`/u/:id` and `/u/:name`), used to reject duplicates. */
  key: string;
}

export type RouteParseResult =
  | { ok: true; pattern: RoutePattern }
  | { ok: false; reason: string; hint: string };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Characters allowed in a literal segment: RFC 3986 pchar minus `%`-escapes kept simple. */
const LITERAL_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=@]+$/;

export function parseRoutePattern(route: string): RouteParseResult {
  const fail = (reason: string, hint: string): RouteParseResult => ({ ok: false, reason, hint });
  if (!route.startsWith('/')) {
    return fail(`route "${route}" does not start with "/"`, `write it as "/${route}"`);
  }
  if (/[?#]/.test(route)) {
    return fail(
      `route "${route}" contains a query or fragment`,
      'routes match the path only; remove "?…" / "#…"',
    );
  }
  let body = route.length > 1 ? route.replace(/\/+$/, '') : route;
  let wildcard = false;
  if (body === '/...' || body.endsWith('/...')) {
    wildcard = true;
    body = body.slice(0, -4) || '/';
  }
  const parts = body === '/' ? [] : body.slice(1).split('/');
  const segments: RouteSegment[] = [];
  const seenParams = new Set<string>();
  for (const part of parts) {
    if (part === '') {
      return fail(`route "${route}" has an empty segment ("//")`, 'remove the doubled slash');
    }
    if (part === '...') {
      return fail(`route "${route}" uses "..." before the end`, 'the wildcard "/..." may only end a route');
    }
    if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) {
        return fail(
          `route "${route}" has an invalid parameter "${part}"`,
          'name parameters like ":id" (letters, digits, "_", "-")',
        );
      }
      if (seenParams.has(name)) {
        return fail(
          `route "${route}" uses the parameter ":${name}" twice`,
          'give each parameter its own name',
        );
      }
      seenParams.add(name);
      segments.push({ kind: 'param', name });
      continue;
    }
    if (part.includes('*')) {
      return fail(
        `route "${route}" uses "*"`,
        'use "/..." for a trailing wildcard or ":name" for one segment',
      );
    }
    if (!LITERAL_SEGMENT.test(part)) {
      return fail(
        `route "${route}" has characters not allowed in a path segment: "${part}"`,
        'percent-encode them or choose another path',
      );
    }
    segments.push({ kind: 'literal', value: part });
  }
  const source = wildcard ? `${body === '/' ? '' : body}/...` : body;
  const key =
    `${segments.map((s) => (s.kind === 'param' ? '/:' : `/${s.value}`)).join('')}${wildcard ? '/...' : ''}` ||
    '/';
  return { ok: true, pattern: { source, segments, wildcard, key } };
}

/** Routes under this prefix belong to the host (health checks); apps may not claim them. */
export const RESERVED_ROUTE_PREFIX = '/.well-known/skiff';
export const HEALTH_ROUTE = '/.well-known/skiff/health';
