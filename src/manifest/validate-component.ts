import path from 'node:path';
import { CAPABILITIES } from '../capabilities/registry.ts';
import type { BuildSpec, ComponentSpec } from './app.ts';
import { describeValue, isTable, type ManifestChecker, type Table } from './checker.ts';
import { COMPONENT_ID, MANIFEST_KEYS, NOT_YET_SUPPORTED_KEYS, toIdentifier } from './keys.ts';
import type { KeyPath } from './locate.ts';
import { validateLifecycle } from './validate-lifecycle.ts';
import { validateLimits } from './validate-limits.ts';

/** `[component.X]` tables in manifest order: smol-toml keeps insertion order, and valid ids never look like integers (which JS objects would list first). */
export function validateComponents(checker: ManifestChecker, root: Table): Map<string, ComponentSpec> {
  const components = new Map<string, ComponentSpec>();
  const table = checker.table(
    root,
    'component',
    [],
    'the manifest',
    '[component.my-component] with source = "app.wasm"',
  );
  for (const [id, value] of Object.entries(table ?? {})) {
    const componentPath = ['component', id];
    if (!isTable(value)) {
      checker.report(
        componentPath,
        `component "${id}" must be a table, got ${describeValue(value)}`,
        `write [component.${id}] with source = "app.wasm"`,
      );
      continue;
    }
    components.set(id, validateComponent(checker, id, value, componentPath));
  }
  return components;
}

function validateComponent(
  checker: ManifestChecker,
  id: string,
  component: Table,
  componentPath: KeyPath,
): ComponentSpec {
  const spot = `[component.${id}]`;
  if (!COMPONENT_ID.test(id)) {
    checker.report(
      componentPath,
      `invalid component id "${id}": use lower-case letters, digits, "_" and single "-" between them, starting with a letter`,
      `rename it, e.g. [component.${toIdentifier(id, 'my-component')}]`,
    );
  }
  checker.checkKeys(
    component,
    componentPath,
    spot,
    MANIFEST_KEYS.component,
    NOT_YET_SUPPORTED_KEYS.component,
  );
  const build = validateBuild(checker, component, componentPath, spot);
  // Every capability reads its own keys (env, files, outbound HTTP, key-value, variables, …).
  const granted: Partial<ComponentSpec> = {};
  for (const capability of CAPABILITIES)
    Object.assign(granted, capability.validate?.({ checker, component, path: componentPath, spot, id }));
  const lifecycle = validateLifecycle(checker, component, componentPath, spot);
  const limits = validateLimits(checker, component, componentPath, spot);
  const middleware = checker.stringArray(
    component,
    'middleware',
    componentPath,
    spot,
    'middleware = ["auth"]',
  );
  return {
    id,
    source: validateSource(
      checker,
      id,
      component,
      componentPath,
      spot,
      build !== undefined || 'build' in component,
    ),
    description: checker.string(component, 'description', componentPath, spot, {
      required: false,
      example: 'description = "…"',
    }),
    environment: {},
    files: [],
    allowedOutboundHosts: [],
    ...granted,
    build,
    // Absent rather than undefined when not written: the runtime applies its default.
    ...(lifecycle && { lifecycle }),
    ...(limits && { limits }),
    ...(middleware.length > 0 && { middleware }),
    where: { file: checker.file, line: checker.lineOf(componentPath) },
  };
}

function validateSource(
  checker: ManifestChecker,
  id: string,
  component: Table,
  componentPath: KeyPath,
  spot: string,
  hasBuild: boolean,
): string {
  const sourcePath = [...componentPath, 'source'];
  if (isTable(component.source)) {
    // Spin's `source = { url, digest }` downloads the component; Skiff only reads local files so far.
    checker.report(
      sourcePath,
      `"source" in ${spot} is a table; fetching components by URL is not supported yet`,
      'download the .wasm and write source = "path/to/app.wasm"',
    );
    return '';
  }
  const source = checker.string(component, 'source', componentPath, spot, {
    required: true,
    example: 'source = "path/to/app.wasm"',
  });
  if (source === undefined) return '';
  const hostPath = path.resolve(checker.baseDir, source);
  checker.requirePath({
    hostPath,
    expect: 'file',
    where: sourcePath,
    what: `source of component "${id}"`,
    missingHint: hasBuild
      ? `build it first: skiff build --from ${checker.file} (or skiff up --build)`
      : `check the path (relative to ${checker.baseDir}), or add a [component.${id}.build] section that produces it`,
    producedByBuild: hasBuild,
  });
  return hostPath;
}

function validateBuild(
  checker: ManifestChecker,
  component: Table,
  componentPath: KeyPath,
  spot: string,
): BuildSpec | undefined {
  const buildPath = [...componentPath, 'build'];
  const buildSpot = `${spot.slice(0, -1)}.build]`;
  const build = checker.table(
    component,
    'build',
    componentPath,
    spot,
    `[${buildPath.join('.')}] with command = "npm run build"`,
  );
  if (!build) return undefined;
  checker.checkKeys(build, buildPath, buildSpot, MANIFEST_KEYS.build);
  const command = checker.string(build, 'command', buildPath, buildSpot, {
    required: true,
    example: 'command = "npm run build"',
  });
  const workdir = checker.string(build, 'workdir', buildPath, buildSpot, {
    required: false,
    example: 'workdir = "."',
  });
  const watch = checker.stringArray(build, 'watch', buildPath, buildSpot, 'watch = ["src/**/*.js"]');
  const workdirPath = path.resolve(checker.baseDir, workdir ?? '.');
  if (workdir !== undefined) {
    checker.requirePath({
      hostPath: workdirPath,
      expect: 'directory',
      where: [...buildPath, 'workdir'],
      what: `build workdir of ${spot}`,
      missingHint: `fix the path (relative to ${checker.baseDir}) or leave workdir out to build in the manifest folder`,
    });
  }
  return command === undefined ? undefined : { command, workdir: workdirPath, watch };
}
