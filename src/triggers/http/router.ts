/**
 * The HTTP route table: which component handles a request path, with Spin's route meaning
 * (see route-pattern.ts for the syntax).
 *
 * Matching works on the raw, still percent-encoded path segments, so `%2F` inside a segment never
 * acts as a separator and `/c%61rt` does not match `/cart` (route literals cannot contain `%`).
 * Captured parameters are then decoded with decodeURIComponent; a candidate route whose
 * parameter holds an invalid escape (`%zz`, a lone `%C3`) does not match, and the next most
 * specific route gets its chance.
 */

import type { HttpRouteSpec, SourceLocation } from '../../manifest/app.ts';
import { parseRoutePattern, RESERVED_ROUTE_PREFIX, type RoutePattern } from './route-pattern.ts';

/** The route that handles a request, and what it captured from the path. */
export interface RouteMatch {
  /** Id of the component that handles the request. */
  component: string;
  /** The matched route as normalized by the parser (`RoutePattern.source`), e.g. `/static/...`. */
  route: string;
  /**
   * For a wildcard route, the raw (still encoded) rest of the path after the matched prefix:
   * `/a/b` for `/static/a/b`, `/` for `/static/`, "" for `/static`. Always "" for other routes.
   */
  pathInfo: string;
  /** `:name` captures, percent-decoded. */
  params: Record<string, string>;
  /** `:name` captures exactly as they appeared in the path (what Spin passes to guests in headers). */
  rawParams: Record<string, string>;
}

/** One public route with what the router needs to rank it. */
interface CompiledRoute {
  pattern: RoutePattern;
  component: string;
  where: SourceLocation | undefined;
  literalCount: number;
  paramCount: number;
}

/** A node of the segment trie; the path from the root spells a route prefix. */
interface TrieNode {
  literals: Map<string, TrieNode>;
  /** One child for any `:name` here: routes differing only in parameter names are duplicates. */
  param: TrieNode | undefined;
  /** The non-wildcard route ending at this node. */
  exact: CompiledRoute | undefined;
  /** The wildcard route whose prefix ends at this node (`/static/...` sits on the `static` node). */
  wildcard: CompiledRoute | undefined;
}

/** A route that matched the path's shape, before its parameters are decoded. */
interface Candidate {
  route: CompiledRoute;
  /** Raw path segments consumed by the route's own segments. */
  depth: number;
  /** Raw segments captured by the route's params, in route order. */
  captures: string[];
}

/**
 * The public HTTP routes of an app, matched most-specific-first.
 * Build it with `RouteTable.fromSpecs`; a table never changes after that.
 */
export class RouteTable {
  readonly #root: TrieNode;
  readonly #inManifestOrder: CompiledRoute[];

  private constructor(root: TrieNode, inManifestOrder: CompiledRoute[]) {
    this.#root = root;
    this.#inManifestOrder = inManifestOrder;
  }

  /**
   * Builds the table from the manifest's routes. Private routes are skipped (they have no public route).
   * Throws an Error naming the spec's `file:line` for an invalid route, a route under the reserved
   * `/.well-known/skiff` prefix, or a route that matches the same paths as an earlier one.
   */
  static fromSpecs(specs: HttpRouteSpec[]): RouteTable {
    const root = newNode();
    const byKey = new Map<string, CompiledRoute>();
    const inManifestOrder: CompiledRoute[] = [];
    for (const spec of specs) {
      if (typeof spec.route !== 'string') continue;
      const at = locationPrefix(spec.where);
      const parsed = parseRoutePattern(spec.route);
      if (!parsed.ok) {
        throw new Error(`${at}${parsed.reason} (component "${spec.component}"); ${parsed.hint}`);
      }
      const { pattern } = parsed;
      if (
        pattern.source === RESERVED_ROUTE_PREFIX ||
        pattern.source.startsWith(`${RESERVED_ROUTE_PREFIX}/`)
      ) {
        throw new Error(
          `${at}route "${spec.route}" (component "${spec.component}") is under ${RESERVED_ROUTE_PREFIX}, ` +
            'which the host reserves; choose another path',
        );
      }
      const earlier = byKey.get(pattern.key);
      if (earlier) {
        throw new Error(
          `${at}route "${spec.route}" (component "${spec.component}") matches the same paths as ` +
            `route "${earlier.pattern.source}" (component "${earlier.component}"${locationSuffix(earlier.where)}); ` +
            'remove one of them',
        );
      }
      const literalCount = pattern.segments.filter((s) => s.kind === 'literal').length;
      const route: CompiledRoute = {
        pattern,
        component: spec.component,
        where: spec.where,
        literalCount,
        paramCount: pattern.segments.length - literalCount,
      };
      byKey.set(pattern.key, route);
      inManifestOrder.push(route);
      insert(root, route);
    }
    return new RouteTable(root, inManifestOrder);
  }

  /**
   * Finds the route for a raw request path (no query, starting with `/`), or undefined for a 404.
   * Cost grows with the path's depth and the routes sharing its prefixes, not with the table size.
   */
  match(path: string): RouteMatch | undefined {
    if (!path.startsWith('/')) return undefined;
    const segments = splitPath(path);
    const candidates: Candidate[] = [];
    collect(this.#root, segments, 0, [], candidates);
    candidates.sort((a, b) => compareSpecificity(a.route, b.route));
    for (const candidate of candidates) {
      const params = decodeParams(candidate);
      if (!params) continue;
      const { route, depth } = candidate;
      return {
        component: route.component,
        route: route.pattern.source,
        pathInfo: route.pattern.wildcard ? path.slice(prefixLength(segments, depth)) : '',
        params,
        rawParams: Object.fromEntries(
          paramNames(route).map((name, i) => [name, candidate.captures[i] ?? '']),
        ),
      };
    }
    return undefined;
  }

  /** The public routes in manifest order, for the startup printout. */
  routes(): Array<{ route: string; component: string }> {
    return this.#inManifestOrder.map((r) => ({ route: r.pattern.source, component: r.component }));
  }
}

function newNode(): TrieNode {
  return { literals: new Map(), param: undefined, exact: undefined, wildcard: undefined };
}

function insert(root: TrieNode, route: CompiledRoute): void {
  let node = root;
  for (const segment of route.pattern.segments) {
    if (segment.kind === 'param') {
      node.param ??= newNode();
      node = node.param;
    } else {
      let child = node.literals.get(segment.value);
      if (!child) {
        child = newNode();
        node.literals.set(segment.value, child);
      }
      node = child;
    }
  }
  // The key check in fromSpecs already rejected a second route for this slot.
  if (route.pattern.wildcard) node.wildcard = route;
  else node.exact = route;
}

/** Raw segments of the path; one trailing slash is tolerated (`/cart/` is `/cart`). */
function splitPath(path: string): string[] {
  const body = path.endsWith('/') ? path.slice(1, -1) : path.slice(1);
  return body === '' ? [] : body.split('/');
}

/** Length of `/seg1/seg2…` for the first `depth` segments: where a wildcard's rest begins. */
function prefixLength(segments: string[], depth: number): number {
  let length = 0;
  for (let i = 0; i < depth; i++) length += 1 + (segments[i]?.length ?? 0);
  return length;
}

/**
 * Walks every trie branch the path fits, gathering each route that matches its shape.
 * Each node is visited at most once per path, so this is bounded by the trie's size.
 */
function collect(
  node: TrieNode,
  segments: string[],
  depth: number,
  captures: string[],
  out: Candidate[],
): void {
  if (node.wildcard) out.push({ route: node.wildcard, depth, captures: [...captures] });
  const segment = segments[depth];
  if (segment === undefined) {
    if (node.exact) out.push({ route: node.exact, depth, captures: [...captures] });
    return;
  }
  const literal = node.literals.get(segment);
  if (literal) collect(literal, segments, depth + 1, captures, out);
  // A parameter needs a non-empty segment: `/users/` is not `/users/:id`.
  if (node.param && segment !== '') {
    captures.push(segment);
    collect(node.param, segments, depth + 1, captures, out);
    captures.pop();
  }
}

/**
 * Negative when `a` is more specific than `b`: non-wildcard first, then more literal segments,
 * then more segments, then fewer params, then a literal where the other has a param, leftmost first.
 */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  if (a.pattern.wildcard !== b.pattern.wildcard) return a.pattern.wildcard ? 1 : -1;
  if (a.literalCount !== b.literalCount) return b.literalCount - a.literalCount;
  const aSegments = a.pattern.segments;
  const bSegments = b.pattern.segments;
  if (aSegments.length !== bSegments.length) return bSegments.length - aSegments.length;
  if (a.paramCount !== b.paramCount) return a.paramCount - b.paramCount;
  for (let i = 0; i < aSegments.length; i++) {
    const aKind = aSegments[i]?.kind;
    const bKind = bSegments[i]?.kind;
    if (aKind !== bKind) return aKind === 'literal' ? -1 : 1;
  }
  // Unreachable for two routes that both match one path: equal shapes are rejected as duplicates.
  return a.pattern.source < b.pattern.source ? -1 : 1;
}

function paramNames(route: CompiledRoute): string[] {
  return route.pattern.segments.flatMap((s) => (s.kind === 'param' ? [s.name] : []));
}

/** The decoded params, or undefined when a capture is not valid percent-encoded UTF-8. */
function decodeParams(candidate: Candidate): Record<string, string> | undefined {
  const names = paramNames(candidate.route);
  const entries: Array<[string, string]> = [];
  for (let i = 0; i < names.length; i++) {
    try {
      entries.push([names[i] ?? '', decodeURIComponent(candidate.captures[i] ?? '')]);
    } catch {
      return undefined;
    }
  }
  // fromEntries defines own properties, so a param named `__proto__` stays an ordinary key.
  return Object.fromEntries(entries);
}

/** `skiff.toml:12: ` to start an error message, or nothing for routes built from CLI flags. */
function locationPrefix(where: SourceLocation | undefined): string {
  return where ? `${where.file}:${where.line}: ` : '';
}

function locationSuffix(where: SourceLocation | undefined): string {
  return where ? ` at ${where.file}:${where.line}` : '';
}
