/**
 * Request headers that tell a guest how its request was routed. Each `skiff-*` header has a
 * `spin-*` twin with the same value, so guests written for Spin run unchanged.
 *
 * Values are passed as they appeared on the wire (path info and `:name` captures stay
 * percent-encoded, as in Spin): a decoded value could hold CR, LF or non-Latin-1 text,
 * which are not valid in a header. Guests decode them when they need to.
 */

import type { RouteMatch } from './router.ts';

/**
 * Prefixes of the headers the host sets. The server removes every client-sent header with one of
 * these prefixes before adding its own, so a client cannot spoof routing information.
 */
export const ROUTE_HEADER_PREFIXES: readonly string[] = ['skiff-', 'spin-'];

/** True when a header name (any case) starts with one of ROUTE_HEADER_PREFIXES. */
export function isRouteHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return ROUTE_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * The routing headers for one request, `skiff-*` first, then the `spin-*` aliases:
 * `matched-route`, `path-info`, one `path-match-<name>` per `:name`, `full-url`, `client-addr`.
 * `<name>` is lowercased with `_` turned into `-` (Spin's rule: `:user_id` gives `…-path-match-user-id`).
 * `req.fullUrl` is the URL as the client asked for it (scheme, host, path and query);
 * `req.clientAddr` is the peer as `ip:port` (`[::1]:5000` for IPv6).
 */
export function routeHeaders(
  m: RouteMatch,
  req: { fullUrl: string; clientAddr: string },
): Array<[string, string]> {
  const values: Array<[string, string]> = [
    ['matched-route', m.route],
    ['path-info', m.pathInfo],
    ...Object.entries(m.rawParams).map(([name, value]): [string, string] => [
      `path-match-${paramHeaderSuffix(name)}`,
      value,
    ]),
    ['full-url', req.fullUrl],
    ['client-addr', req.clientAddr],
  ];
  return ROUTE_HEADER_PREFIXES.flatMap((prefix) =>
    values.map(([name, value]): [string, string] => [prefix + name, value]),
  );
}

function paramHeaderSuffix(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}
