import fs from 'node:fs';
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { guestPathProblem, normalizeGuestPath } from '../capabilities/files/validate.ts';
import { outboundHostProblem } from '../capabilities/outbound-http/index.ts';
import { parseRoutePattern } from '../triggers/http/route-pattern.ts';
import { bindAddressProblem } from '../wasi/p3/sockets/grants.ts';
import type { App, FileMount } from './app.ts';
import { ManifestChecker } from './checker.ts';
import { ManifestError, type ManifestProblem } from './errors.ts';
import { toIdentifier } from './keys.ts';
import { LineLocator } from './locate.ts';
import { pathKind, pathKindSync, pathProblem } from './paths.ts';
import {
  isSpinManifest,
  SPIN_MANIFEST_FILE,
  SpinManifestChecker,
  validateSpinManifest,
} from './spin/index.ts';
import { validateManifest } from './validate-app.ts';
import { isReservedRoute } from './validate-triggers.ts';

export const MANIFEST_FILE = 'skiff.toml';

const NO_MANIFEST_HINT =
  'pass the app with --from PATH (a skiff.toml or spin.toml, or its folder), serve one component without a manifest: skiff up --component FILE.wasm, or start a new app: skiff new --list';

export interface LoadOptions {
  /** For `skiff build`: a component source its build command writes may be missing yet. */
  beforeBuild?: boolean;
}

/**
 * Reads, validates and normalizes a manifest: `pathOrDir` is a skiff.toml (any file name) or a folder
 * holding one. Throws a ManifestError listing every problem found, each with file and line.
 */
export async function loadApp(pathOrDir: string, options: LoadOptions = {}): Promise<App> {
  const manifestPath = await findManifest(path.resolve(pathOrDir));
  let text: string;
  try {
    text = await fs.promises.readFile(manifestPath, 'utf8');
  } catch (error) {
    throw new ManifestError([
      {
        file: manifestPath,
        line: undefined,
        message: `cannot read the manifest: ${(error as Error).message}`,
        hint: undefined,
      },
    ]);
  }
  if (text.startsWith('\0asm'))
    throw new ManifestError([
      {
        file: manifestPath,
        line: undefined,
        message: 'this is a WebAssembly binary, not a skiff.toml',
        hint: `serve it without a manifest: skiff up --component ${manifestPath}`,
      },
    ]);
  text = text.replace(/^\uFEFF/, ''); // a byte-order mark is not TOML, but editors on Windows write one

  const root = parseToml(text, manifestPath);
  const baseDir = path.dirname(manifestPath);
  const locator = new LineLocator(text);
  // A spin.toml is read as the Skiff manifest it means, by the same validators (src/manifest/spin/).
  const spin = isSpinManifest(root) ? new SpinManifestChecker(manifestPath, baseDir, locator) : undefined;
  const checker = spin ?? new ManifestChecker(manifestPath, baseDir, locator);
  const contents = spin ? validateSpinManifest(spin, root) : validateManifest(checker, root);
  // Paths are checked after the walk, together, so the walk stays free of I/O.
  const kinds = await Promise.all(
    checker.pathRequirements.map((requirement) => pathKind(requirement.hostPath)),
  );
  checker.pathRequirements.forEach((requirement, index) => {
    const kind = kinds[index] ?? 'missing';
    if (kind === 'missing' && requirement.producedByBuild && options.beforeBuild) return;
    const problem = pathProblem(requirement, kind);
    if (problem) checker.report(requirement.where, problem.message, problem.hint);
  });
  if (!contents || checker.problems.length > 0) {
    throw new ManifestError(checker.problems.toSorted((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }
  return { manifestPath, baseDir, ...contents };
}

async function findManifest(resolved: string): Promise<string> {
  const kind = await pathKind(resolved);
  if (kind === 'file') return resolved;
  if (kind !== 'directory') {
    throw new ManifestError([
      { file: resolved, line: undefined, message: `manifest not found: ${resolved}`, hint: NO_MANIFEST_HINT },
    ]);
  }
  const candidate = path.join(resolved, MANIFEST_FILE);
  if ((await pathKind(candidate)) === 'file') return candidate;
  // A Spin app's folder: its spin.toml, when there is no skiff.toml beside it.
  const spinToml = path.join(resolved, SPIN_MANIFEST_FILE);
  if ((await pathKind(spinToml)) === 'file') return spinToml;
  throw new ManifestError([
    {
      file: candidate,
      line: undefined,
      message: `no ${MANIFEST_FILE} (or ${SPIN_MANIFEST_FILE}) in ${resolved}`,
      hint: NO_MANIFEST_HINT,
    },
  ]);
}

function parseToml(text: string, manifestPath: string): Record<string, unknown> {
  try {
    // 'throw' rejects `__proto__` and `constructor` keys instead of handing them to the validators.
    return parse(text, { unsafeKeyBehaviour: 'throw' });
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document:\s*/, '') ?? error.message;
    const source = text.split(/\r?\n/)[error.line - 1]?.trim() ?? '';
    throw new ManifestError([
      {
        file: manifestPath,
        line: error.line,
        column: error.column,
        message: `invalid TOML: ${reason}`,
        hint: source
          ? `check the syntax of \`${source.length > 60 ? `${source.slice(0, 60)}…` : source}\``
          : undefined,
      },
    ]);
  }
}

/** What `skiff up --component FILE.wasm` serves: one component, no manifest. */
export interface ComponentAppOptions {
  source: string;
  /** Whose words the errors use: the CLI's flags (default), or the embedding API's options. */
  wording?: 'cli' | 'api';
  /** Default `/...` (every path). */
  route?: string;
  environment?: Record<string, string>;
  files?: FileMount[];
  allowedOutboundHosts?: string[];
  allowedBindAddresses?: string[];
}

/** The embedding API's name for each flag, and how to write it there when the CLI hint shows the flag. */
const API_OPTIONS: Record<string, { name: string; hint?: string }> = {
  '--component': { name: 'the component path' },
  '--route': { name: 'route' },
  '--allow-outbound': { name: 'allowOutbound', hint: "e.g. allowOutbound: ['https://api.example.com:443']" },
  '--allow-bind': { name: 'allowBind' },
  '--env': { name: 'env', hint: "e.g. env: { NAME: 'value' }" },
  '--dir': { name: 'dirs', hint: "e.g. dirs: [{ host: './data', guest: '/data' }]" },
};

/**
 * An App with one component built from CLI flags. The component id comes from the file name
 * (`hello_world.wasm` → `hello_world`). Throws a ManifestError whose problems name the flag at fault.
 */
export function appFromComponent(options: ComponentAppOptions): App {
  const problems: ManifestProblem[] = [];
  // An embedder gave options, not flags: name the option, and say how to write it in code.
  const flagProblem = (flag: string, message: string, hint?: string) => {
    const option = options.wording === 'api' ? API_OPTIONS[flag] : undefined;
    problems.push({
      file: option?.name ?? flag,
      line: undefined,
      message,
      hint: option?.hint && hint?.includes(flag) ? option.hint : hint,
    });
  };

  const source = path.resolve(options.source);
  const sourceProblem = pathProblem(
    {
      hostPath: source,
      expect: 'file',
      where: [],
      what: 'component',
      missingHint: 'check the path to the .wasm file',
    },
    pathKindSync(source),
  );
  if (sourceProblem) flagProblem('--component', sourceProblem.message, sourceProblem.hint);

  const route = options.route ?? '/...';
  const parsed = parseRoutePattern(route);
  if (!parsed.ok) flagProblem('--route', parsed.reason, parsed.hint);
  else if (isReservedRoute(parsed.pattern.source))
    flagProblem('--route', `route "${route}" is reserved for Skiff itself`, 'choose another path');

  for (const entry of options.allowedOutboundHosts ?? []) {
    const problem = outboundHostProblem(entry);
    if (problem) flagProblem('--allow-outbound', problem.message, problem.hint);
  }
  for (const entry of options.allowedBindAddresses ?? []) {
    const problem = bindAddressProblem(entry);
    if (problem) flagProblem('--allow-bind', problem, 'e.g. --allow-bind tcp://127.0.0.1:8080');
  }
  for (const name of Object.keys(options.environment ?? {})) {
    if (name === '' || /[=\0]/.test(name))
      flagProblem('--env', `invalid environment variable name "${name}"`, 'write --env NAME=value');
  }
  const files = mountsFromFlags(options.files ?? [], flagProblem);

  if (problems.length > 0 || !parsed.ok) throw new ManifestError(problems);
  const id = toIdentifier(path.basename(source, path.extname(source)), 'component');
  return {
    manifestPath: undefined,
    baseDir: process.cwd(),
    name: id,
    version: undefined,
    description: undefined,
    components: new Map([
      [
        id,
        {
          id,
          source,
          description: undefined,
          environment: { ...options.environment },
          files,
          allowedOutboundHosts: [...(options.allowedOutboundHosts ?? [])],
          ...(options.allowedBindAddresses?.length && {
            allowedBindAddresses: [...options.allowedBindAddresses],
          }),
          build: undefined,
          where: undefined,
        },
      ],
    ]),
    triggers: [{ type: 'http', route: parsed.pattern.source, component: id, where: undefined }],
  };
}

function mountsFromFlags(
  mounts: FileMount[],
  flagProblem: (flag: string, message: string, hint?: string) => void,
): FileMount[] {
  const seen = new Set<string>();
  const result: FileMount[] = [];
  for (const mount of mounts) {
    const hostPath = path.resolve(mount.hostPath);
    const reason = guestPathProblem(mount.guestPath);
    if (reason) {
      flagProblem(
        '--dir',
        `guest path "${mount.guestPath}" ${reason}`,
        'write --dir HOST::/absolute/guest/path',
      );
      continue;
    }
    const guestPath = normalizeGuestPath(mount.guestPath);
    if (seen.has(guestPath)) {
      flagProblem(
        '--dir',
        `two --dir flags mount at guest path "${guestPath}"`,
        'give each mount its own guest path',
      );
      continue;
    }
    seen.add(guestPath);
    const kind = pathKindSync(hostPath);
    if (kind === 'missing' || kind === 'other') {
      flagProblem(
        '--dir',
        `host path ${kind === 'missing' ? 'not found' : 'is neither a file nor a folder'}: ${hostPath}`,
        'check the HOST part of HOST::GUEST',
      );
      continue;
    }
    result.push({ hostPath, guestPath, readOnly: mount.readOnly });
  }
  return result;
}
