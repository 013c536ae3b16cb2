import { parseRoutePattern, RESERVED_ROUTE_PREFIX } from '../triggers/http/route-pattern.ts';
import type { HttpRouteSpec } from './app.ts';
import { describeValue, isTable, type ManifestChecker, type Table } from './checker.ts';
import { closestMatch, MANIFEST_KEYS } from './keys.ts';
import type { KeyPath } from './locate.ts';

const SPOT = '[[trigger.http]]';

/** `[[trigger.http]]` entries, in manifest order; `componentIds` are all ids declared under `[component]`. */
export function validateTriggers(
  checker: ManifestChecker,
  root: Table,
  componentIds: readonly string[],
): HttpRouteSpec[] {
  const triggers = checker.table(
    root,
    'trigger',
    [],
    'the manifest',
    '[[trigger.http]] with route and component',
  );
  if (!triggers) return [];
  const knownTypes: readonly string[] = MANIFEST_KEYS.trigger;
  for (const type of Object.keys(triggers)) {
    if (knownTypes.includes(type)) continue;
    const guess = closestMatch(type, MANIFEST_KEYS.trigger);
    if (guess)
      checker.report(
        ['trigger', type],
        `unknown trigger type "${type}"`,
        `did you mean [[trigger.${guess}]]?`,
      );
    else {
      checker.report(
        ['trigger', type],
        `[[trigger.${type}]]: the "${type}" trigger is not supported yet by this version of Skiff`,
        'only [[trigger.http]] is supported; remove it for now',
      );
    }
  }
  const entries = triggers.http;
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) {
    const hint = isTable(entries)
      ? 'write [[trigger.http]] with double brackets; each route is its own entry'
      : 'write [[trigger.http]] tables';
    checker.report(
      ['trigger', 'http'],
      `"trigger.http" must be an array of tables, got ${describeValue(entries)}`,
      hint,
    );
    return [];
  }
  const routes: HttpRouteSpec[] = [];
  const firstByKey = new Map<string, { route: string; line: number }>();
  entries.forEach((entry: unknown, index) => {
    const entryPath = ['trigger', 'http', index];
    if (!isTable(entry)) {
      checker.report(
        entryPath,
        `each ${SPOT} entry must be a table, got ${describeValue(entry)}`,
        'write route = "…" and component = "…" under [[trigger.http]]',
      );
      return;
    }
    checker.checkKeys(entry, entryPath, SPOT, MANIFEST_KEYS.httpTrigger);
    const route = validateRoute(checker, entry, entryPath, firstByKey);
    const component = validateComponentRef(checker, entry, entryPath, componentIds);
    if (route !== undefined && component !== undefined) {
      routes.push({
        type: 'http',
        route,
        component,
        where: { file: checker.file, line: checker.lineOf(entryPath) },
      });
    }
  });
  return routes;
}

/** A public route (normalized) or `{ private: true }`; duplicates are errors, not silent overrides. */
function validateRoute(
  checker: ManifestChecker,
  entry: Table,
  entryPath: KeyPath,
  firstByKey: Map<string, { route: string; line: number }>,
): HttpRouteSpec['route'] | undefined {
  const value = entry.route;
  const routePath = [...entryPath, 'route'];
  if (isTable(value)) return validatePrivateRoute(checker, value, routePath);
  if (typeof value !== 'string') {
    const message =
      value === undefined
        ? `missing "route" in ${SPOT}`
        : `"route" in ${SPOT} must be a string or { private = true }, got ${describeValue(value)}`;
    checker.report(routePath, message, 'write route = "/hello/..." or route = { private = true }');
    return undefined;
  }
  const parsed = parseRoutePattern(value);
  if (!parsed.ok) {
    checker.report(routePath, parsed.reason, parsed.hint);
    return undefined;
  }
  const { source, key } = parsed.pattern;
  if (isReservedRoute(source)) {
    checker.report(
      routePath,
      `route "${value}" is under ${RESERVED_ROUTE_PREFIX}, which Skiff reserves for itself`,
      'choose another path',
    );
    return undefined;
  }
  const first = firstByKey.get(key);
  if (first) {
    checker.report(
      routePath,
      `duplicate route "${value}" (matches the same paths as "${first.route}" on line ${first.line}); each route may be served by one component`,
      'remove one of them or give it another path',
    );
    return undefined;
  }
  firstByKey.set(key, { route: value, line: checker.lineOf(routePath) });
  return source;
}

/** Routes at or below `/.well-known/skiff` belong to the host (health checks). */
export function isReservedRoute(source: string): boolean {
  return source === RESERVED_ROUTE_PREFIX || source.startsWith(`${RESERVED_ROUTE_PREFIX}/`);
}

function validatePrivateRoute(
  checker: ManifestChecker,
  table: Table,
  routePath: KeyPath,
): { private: true } | undefined {
  const spot = `route = { … } of ${SPOT}`;
  checker.checkKeys(table, routePath, spot, MANIFEST_KEYS.privateRoute);
  if (table.private === true) return { private: true };
  checker.report(
    routePath,
    table.private === undefined
      ? `a table route needs private = true`
      : `"private" in ${spot} must be true, got ${describeValue(table.private)}`,
    'write route = { private = true } for no public route, or route = "/path" for a public one',
  );
  return undefined;
}

/** A string naming a declared `[component.X]`; inline component tables are deliberately not accepted. */
function validateComponentRef(
  checker: ManifestChecker,
  entry: Table,
  entryPath: KeyPath,
  componentIds: readonly string[],
): string | undefined {
  const value = entry.component;
  const where = [...entryPath, 'component'];
  if (isTable(value)) {
    checker.report(
      where,
      `inline component tables are not supported in ${SPOT}`,
      'declare it as [component.my-component] and write component = "my-component"',
    );
    return undefined;
  }
  const id = checker.string(entry, 'component', entryPath, SPOT, {
    required: true,
    example: 'component = "my-component"',
  });
  if (id === undefined || componentIds.includes(id)) return id;
  const guess = closestMatch(id, componentIds);
  checker.report(
    where,
    `${SPOT} names component "${id}", which is not declared`,
    guess ? `did you mean "${guess}"?` : `declare it with [component.${id}] and a source`,
  );
  return undefined;
}
