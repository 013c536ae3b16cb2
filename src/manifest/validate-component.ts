import path from 'node:path';
import { parseOutboundPattern } from '../wasi/http/outbound-policy.ts';
import { bindAddressProblem } from '../wasi/p3/sockets/grants.ts';
import type { BuildSpec, ComponentSpec } from './app.ts';
import { describeValue, isTable, type ManifestChecker, type Table } from './checker.ts';
import { COMPONENT_ID, MANIFEST_KEYS, NOT_YET_SUPPORTED_KEYS, toIdentifier } from './keys.ts';
import type { KeyPath } from './locate.ts';
import { validateFiles } from './validate-files.ts';
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
    environment: validateEnvironment(checker, component, componentPath, spot),
    files: validateFiles(checker, component, componentPath, spot),
    allowedOutboundHosts: validateOutboundHosts(checker, component, componentPath, spot),
    ...bindAddresses(validateBindAddresses(checker, component, componentPath, spot)),
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
      ? 'run `skiff build` first'
      : `check the path (relative to ${checker.baseDir}), or add a [component.${id}.build] section that produces it`,
  });
  return hostPath;
}

/** The only variables the guest sees, so values must be strings: `PORT = 8080` would be ambiguous. */
function validateEnvironment(
  checker: ManifestChecker,
  component: Table,
  componentPath: KeyPath,
  spot: string,
): Record<string, string> {
  const table = checker.table(
    component,
    'environment',
    componentPath,
    spot,
    'environment = { NAME = "value" }',
  );
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(table ?? {})) {
    const where = [...componentPath, 'environment', name];
    if (name === '' || /[=\0]/.test(name)) {
      checker.report(
        where,
        `invalid environment variable name "${name}" in ${spot}`,
        'names may not be empty or contain "=" or NUL',
      );
    } else if (typeof value !== 'string') {
      const quoted = typeof value === 'number' || typeof value === 'boolean' ? `"${value}"` : '"…"';
      checker.report(
        where,
        `environment variable "${name}" in ${spot} must be a string, got ${describeValue(value)}`,
        `quote it: ${name} = ${quoted}`,
      );
    } else {
      environment[name] = value;
    }
  }
  return environment;
}

const OUTBOUND_FORM =
  'use scheme://host[:port], e.g. "https://example.com:443", "http://127.0.0.1:*" or "https://*.example.com"';
/** A DNS name (optionally `*.`-prefixed), `*`, an IPv4 address, or a bracketed IPv6 address. */
const OUTBOUND_HOST =
  /^(?:\*|(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** Checked with the runtime's own parser, so the loader accepts exactly what the outbound policy can enforce. */
function validateOutboundHosts(
  checker: ManifestChecker,
  component: Table,
  componentPath: KeyPath,
  spot: string,
): string[] {
  const key = 'allowed_outbound_hosts';
  const entries = checker.stringArray(
    component,
    key,
    componentPath,
    spot,
    `${key} = ["https://example.com:443"]`,
  );
  const valid: string[] = [];
  entries.forEach((entry, index) => {
    const problem = outboundHostProblem(entry);
    if (problem)
      checker.report(
        [...componentPath, key, index],
        `invalid ${key} entry in ${spot}: ${problem.message}`,
        problem.hint,
      );
    else valid.push(entry);
  });
  return valid;
}

/** `allowed_bind_addresses`: absent from the spec when not written (nothing may be bound). */
function bindAddresses(entries: string[]): { allowedBindAddresses?: string[] } {
  return entries.length > 0 ? { allowedBindAddresses: entries } : {};
}

/** Checked with the sockets host's own parser (p3/sockets/grants.ts). */
function validateBindAddresses(
  checker: ManifestChecker,
  component: Table,
  componentPath: KeyPath,
  spot: string,
): string[] {
  const key = 'allowed_bind_addresses';
  const entries = checker.stringArray(
    component,
    key,
    componentPath,
    spot,
    `${key} = ["tcp://127.0.0.1:8080"]`,
  );
  const valid: string[] = [];
  entries.forEach((entry, index) => {
    const problem = bindAddressProblem(entry);
    if (problem)
      checker.report(
        [...componentPath, key, index],
        `invalid ${key} entry in ${spot}: ${problem}`,
        BIND_FORM,
      );
    else valid.push(entry);
  });
  return valid;
}

const BIND_FORM =
  'use tcp://ADDRESS:PORT or udp://ADDRESS:PORT, e.g. "tcp://127.0.0.1:8080" or "udp://[::1]:*"';

/** Why `entry` is not a valid outbound destination, with the form to use instead. Shared with `--allow-outbound`. */
export function outboundHostProblem(entry: string): { message: string; hint: string } | undefined {
  if (!entry.includes('://')) {
    return { message: `"${entry}" has no scheme`, hint: `write "https://${entry}" (or "http://…", "*://…")` };
  }
  const withPath = /^([^:/]*:\/\/[^/]+)\/./.exec(entry);
  if (withPath)
    return {
      message: `"${entry}" has a path; only scheme, host and port are matched`,
      hint: `write "${withPath[1]}"`,
    };
  const rule = parseOutboundPattern(entry);
  if (typeof rule === 'string') return { message: rule, hint: OUTBOUND_FORM };
  const host = /^[^:]*:\/\/(\[[^\]]*\]|[^:/]*)/.exec(entry)?.[1] ?? '';
  if (!OUTBOUND_HOST.test(host))
    return {
      message: `"${entry}": "${host}" is not a host name, IP address, "*" or "*.domain"`,
      hint: OUTBOUND_FORM,
    };
  return undefined;
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
