/**
 * The request target and authority of an incoming request, as RFC 9112 §3.2 defines them: origin
 * form (`/path?q`) with the authority from `Host`, or absolute form (`http://host/path`, which a
 * server MUST accept, and whose authority wins over `Host`). Whatever the client sent, the guest
 * sees an origin-form path and one authority.
 */
import type { HostRequest } from './exchange.ts';

export interface RequestTarget {
  /** The path without its query: what routes match. */
  path: string;
  /** Origin form, `/path?query`: what the guest's `path-with-query` returns. */
  pathWithQuery: string;
  /** `host[:port]`, or undefined for an HTTP/1.0 request without Host. */
  authority: string | undefined;
}

/** RFC 3986 authority without userinfo: a bracketed IP literal or a reg-name, then an optional port. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::\d{0,5})?$/;
const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;

/** The target, or a sentence saying why the request gets 400. */
export function requestTarget(
  req: Pick<HostRequest, 'rawHeaders' | 'url' | 'method'>,
): RequestTarget | { problem: string } {
  const hosts: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === 'host') hosts.push(req.rawHeaders[i + 1] as string);
  }
  // RFC 9112 §3.2: more than one Host, or an invalid one, MUST get 400 (Node checks only that one is there).
  if (hosts.length > 1) return { problem: `the request has ${hosts.length} Host headers; send exactly one` };
  const host = hosts[0];
  if (host !== undefined && !AUTHORITY.test(host))
    return { problem: `the Host header "${host}" is not a valid host[:port]` };

  const url = req.url ?? '/';
  if (url.startsWith('/')) return { ...splitQuery(url), authority: host };
  const absolute = ABSOLUTE_FORM.exec(url);
  if (absolute) {
    const [, scheme, authority, rest] = absolute as unknown as [string, string, string, string];
    if (!/^https?$/i.test(scheme))
      return { problem: `the request target ${url} is not an http or https URL` };
    if (!authority || !AUTHORITY.test(authority))
      return { problem: `the request target ${url} has no valid host[:port]` };
    if (rest.startsWith('#')) return { problem: `the request target ${url} has a fragment` };
    return { ...splitQuery(rest.startsWith('/') ? rest : `/${rest}`), authority };
  }
  if (url === '*' && req.method === 'OPTIONS') return { path: '*', pathWithQuery: '*', authority: host };
  return { problem: `the request target ${url} is neither a path starting with / nor an absolute http URL` };
}

function splitQuery(pathWithQuery: string): { path: string; pathWithQuery: string } {
  const query = pathWithQuery.indexOf('?');
  return { path: query < 0 ? pathWithQuery : pathWithQuery.slice(0, query), pathWithQuery };
}
