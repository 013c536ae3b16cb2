import { CAPABILITIES } from '../capabilities/registry.ts';
import type { App } from './app.ts';
import { describeValue, type ManifestChecker, type Table } from './checker.ts';
import { APPLICATION_NAME, MANIFEST_KEYS, NOT_YET_SUPPORTED_KEYS, toIdentifier } from './keys.ts';
import { validateComponents } from './validate-component.ts';
import { validateTriggers } from './validate-triggers.ts';

export const MANIFEST_VERSION = 1;

/** Everything of the App that comes from the manifest's contents. */
export type AppContents = Pick<
  App,
  'name' | 'version' | 'description' | 'components' | 'triggers' | 'variables'
>;

/**
 * Walks a parsed manifest, reporting every problem to `checker`. Returns undefined when the file is
 * not a version-1 Skiff manifest at all: then the rest would only produce noise.
 */
export function validateManifest(checker: ManifestChecker, root: Table): AppContents | undefined {
  if (!checkVersion(checker, root)) return undefined;
  checker.checkKeys(root, [], 'the top level', MANIFEST_KEYS.topLevel, NOT_YET_SUPPORTED_KEYS.topLevel);
  const application = validateApplication(checker, root);
  const components = validateComponents(checker, root);
  validateMiddleware(checker, components);
  const triggers = validateTriggers(checker, root, [...components.keys()]);
  const contents: AppContents = { ...application, components, triggers };
  // Capabilities with top-level keys (`[variables]`) read them once every component is known.
  for (const capability of CAPABILITIES)
    Object.assign(contents, capability.validateApp?.(checker, root, contents));
  return contents;
}

/**
 * Every middleware a component lists is a declared component, listed once, neither the component
 * itself nor one with middleware of its own (a chain is written out whole where it is used).
 */
function validateMiddleware(checker: ManifestChecker, components: AppContents['components']): void {
  for (const [id, spec] of components) {
    const chain = spec.middleware ?? [];
    chain.forEach((name, index) => {
      const where = ['component', id, 'middleware', index];
      const other = components.get(name);
      if (!other)
        checker.report(
          where,
          `component "${id}" lists middleware "${name}", which is not declared`,
          `declare it with [component.${name}] and a source`,
        );
      else if (name === id)
        checker.report(where, `component "${id}" lists itself as its middleware`, 'remove it from the list');
      else if (chain.indexOf(name) !== index)
        checker.report(where, `component "${id}" lists middleware "${name}" twice`, 'list it once');
      else if (other.middleware?.length)
        checker.report(
          where,
          `middleware "${name}" has middleware of its own (${other.middleware.join(', ')})`,
          `list the whole chain on "${id}": middleware = ${JSON.stringify([...other.middleware, name])}`,
        );
    });
  }
}

/** False when the rest of the file should not be checked (a Spin manifest, or another version). */
function checkVersion(checker: ManifestChecker, root: Table): boolean {
  if ('spin_manifest_version' in root) {
    checker.report(
      ['spin_manifest_version'],
      `spin_manifest_version = ${String(root.spin_manifest_version)} in a Skiff manifest`,
      `a skiff.toml starts with skiff_manifest_version = ${MANIFEST_VERSION}; a Spin app keeps its spin.toml, which \`skiff up --from spin.toml\` reads as it is`,
    );
    return false;
  }
  const version = root.skiff_manifest_version;
  if (version === undefined) {
    // Probably just forgotten: keep checking so the user sees the other problems too.
    checker.report(
      [],
      'missing skiff_manifest_version',
      `add \`skiff_manifest_version = ${MANIFEST_VERSION}\` as the first line`,
    );
    return true;
  }
  if (version === MANIFEST_VERSION) return true;
  checker.report(
    ['skiff_manifest_version'],
    typeof version === 'number'
      ? `skiff_manifest_version ${version} is not supported; this version of Skiff reads version ${MANIFEST_VERSION}`
      : `skiff_manifest_version must be the integer ${MANIFEST_VERSION}, got ${describeValue(version)}`,
    `write skiff_manifest_version = ${MANIFEST_VERSION}`,
  );
  return false;
}

function validateApplication(
  checker: ManifestChecker,
  root: Table,
): Pick<App, 'name' | 'version' | 'description'> {
  const spot = '[application]';
  const application = checker.table(
    root,
    'application',
    [],
    'the manifest',
    '[application] with name = "my-app"',
  );
  if (!application) {
    if (root.application === undefined)
      checker.report([], 'missing [application] table', 'add [application] with name = "my-app"');
    return { name: '', version: undefined, description: undefined };
  }
  checker.checkKeys(application, ['application'], spot, MANIFEST_KEYS.application);
  const name = checker.string(application, 'name', ['application'], spot, {
    required: true,
    example: 'name = "my-app"',
  });
  if (name !== undefined && !APPLICATION_NAME.test(name)) {
    checker.report(
      ['application', 'name'],
      `invalid application name "${name}": use lower-case letters, digits, "-" and "_"`,
      `write name = "${toIdentifier(name, 'my-app')}"`,
    );
  }
  const optional = (key: string) =>
    checker.string(application, key, ['application'], spot, { required: false, example: `${key} = "…"` });
  return { name: name ?? '', version: optional('version'), description: optional('description') };
}
