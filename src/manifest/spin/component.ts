/**
 * One Spin `[component.x]` (or inline component) as Skiff's: the same keys, with Spin's forms Skiff
 * spells differently rewritten (a `dir/**\/*` files pattern, a build command list) and the ones it
 * cannot honour refused at their line (a `{ url, digest }` source, other globs, `{{ templated }}`
 * or `self` outbound hosts).
 */
import { isTable, type Table } from '../checker.ts';
import type { KeyPath } from '../locate.ts';
import type { SpinManifestChecker } from './checker.ts';
import { SPIN_KEYS, spinTableKeys } from './keys.ts';

interface ComponentAt {
  /** Where it is written: `['component', id]`, or the `component` key of a trigger. */
  original: KeyPath;
  /** Where its Skiff counterpart goes: `['component', id]`. */
  translated: KeyPath;
  id: string;
}

export function translateComponent(checker: SpinManifestChecker, component: Table, at: ComponentAt): Table {
  const spot = at.original[0] === 'component' ? `[component.${at.id}]` : `the inline component "${at.id}"`;
  const kept = spinTableKeys(checker, component, { original: at.original, spot }, SPIN_KEYS.component);
  const under = (key: string) => ({ original: [...at.original, key], translated: [...at.translated, key] });
  if (isTable(kept.source)) checkRemoteSource(checker, kept.source, under('source'), at.id);
  if (Array.isArray(kept.files)) kept.files = translateFiles(checker, kept.files, under('files'), spot);
  if (Array.isArray(kept.allowed_outbound_hosts))
    checkOutboundHosts(checker, kept.allowed_outbound_hosts, under('allowed_outbound_hosts'), spot);
  if (isTable(kept.build)) kept.build = translateBuild(kept.build);
  return kept;
}

type Where = { original: KeyPath; translated: KeyPath };

/** `source = { url, digest }` or `{ registry, package, version }`: Skiff reads local files only. */
function checkRemoteSource(checker: SpinManifestChecker, source: Table, where: Where, id: string): void {
  const file = `${id}.wasm`;
  if (typeof source.url === 'string') {
    const digest = typeof source.digest === 'string' ? source.digest.replace(/^sha256:/, '') : '';
    checker.refuse(
      where.original,
      where.translated,
      `the source of component "${id}" is a URL; Skiff does not download components`,
      `download it (curl -fL -o ${file} ${source.url}), check it (sha256sum ${file} must print ${digest || 'the digest'}), then write source = "${file}"`,
    );
    return;
  }
  if (typeof source.package === 'string') {
    const spec = `${source.package}${typeof source.version === 'string' ? `@${source.version}` : ''}`;
    const registry = typeof source.registry === 'string' ? ` --registry ${source.registry}` : '';
    checker.refuse(
      where.original,
      where.translated,
      `the source of component "${id}" is a registry package; Skiff does not fetch components`,
      `fetch it (wkg get${registry} -o ${file} ${spec}), then write source = "${file}"`,
    );
    return;
  }
  checker.refuse(
    where.original,
    where.translated,
    `the source of component "${id}" must be a path, { url, digest } or { registry, package, version }`,
    'write source = "path/to/app.wasm"',
  );
}

const GLOB = /[*?[\]{}]/;
/** `static/**\/*`: every file under a folder, which is what mounting the folder shows. */
const WHOLE_FOLDER = /^(.+?)\/\*\*\/\*$/;

/**
 * Spin's `files`: a string is a path or a glob, copied to the same path under `/`; a table places
 * `source` at `destination`. Skiff mounts instead of copying, so a path and `dir/**\/*` (the folder
 * mounted at `/dir`) map; other globs pick some files of a folder, which a mount cannot.
 */
function translateFiles(
  checker: SpinManifestChecker,
  files: unknown[],
  where: Where,
  spot: string,
): unknown[] {
  return files.map((entry, index) => {
    const at = { original: [...where.original, index], translated: [...where.translated, index] };
    if (typeof entry === 'string') {
      if (!GLOB.test(entry)) return entry;
      if (entry === '**/*') return '.'; // the whole app folder, at `/`
      const folder = WHOLE_FOLDER.exec(entry)?.[1];
      if (folder && !GLOB.test(folder)) return folder;
      const base = entry.split('/').filter((part) => part && !GLOB.test(part));
      const suggestion = base.length > 0 ? base.join('/') : 'public';
      checker.refuse(
        at.original,
        at.translated,
        `"files" entry "${entry}" in ${spot} picks files by a glob pattern; Skiff mounts whole files and folders`,
        `mount the folder instead: "${suggestion}/**/*", or { source = "${suggestion}", destination = "/${suggestion}" }`,
      );
      return entry;
    }
    if (!isTable(entry)) return entry;
    const kept = spinTableKeys(
      checker,
      entry,
      { original: at.original, spot: `a "files" entry of ${spot}` },
      SPIN_KEYS.filePlacement,
    );
    // Spin places a destination without a leading `/` at the root all the same.
    if (typeof kept.destination === 'string' && !kept.destination.startsWith('/'))
      kept.destination = `/${kept.destination}`;
    return kept;
  });
}

/** Database and messaging schemes Spin grants for its own clients, which Skiff does not have. */
const CLIENT_SCHEMES = /^(redis|rediss|mysql|postgres|postgresql|mqtt|mqtts):\/\//i;

/**
 * Spin's outbound forms Skiff has no equivalent for: a `{{ variable }}` template (Skiff's grants are
 * fixed when the app loads), `self` (Spin's in-app requests), an IP range and Spin's client schemes.
 * The rest are Skiff's own grammar, checked by its validator.
 */
function checkOutboundHosts(
  checker: SpinManifestChecker,
  hosts: unknown[],
  where: Where,
  spot: string,
): void {
  hosts.forEach((host, index) => {
    if (typeof host !== 'string') return;
    const refuse = (message: string, hint: string) =>
      checker.refuse(
        [...where.original, index],
        [...where.translated, index],
        `allowed_outbound_hosts entry "${host}" in ${spot} ${message}`,
        hint,
      );
    if (/\{\{.*\}\}/.test(host))
      refuse(
        'uses a variable; Skiff fixes outbound grants when the app loads',
        'write the host itself, e.g. "https://api.example.com"',
      );
    else if (/^[^:]*:\/\/self(\.alt)?(:|\/|$)/.test(host))
      refuse(
        "is Spin's self-request grant; Skiff has no in-app requests",
        'grant the address Skiff listens on, e.g. "http://127.0.0.1:3000"',
      );
    else if (CLIENT_SCHEMES.test(host))
      refuse(
        `is for Spin's ${host.split(':')[0]} client; Skiff has no database or messaging client interfaces`,
        `remove it, or run this app with \`spin up\``,
      );
    else if (/^[^:]*:\/\/[0-9a-fA-F:.[\]]+\/\d+/.test(host))
      refuse(
        'is an IP range (CIDR); Skiff grants hosts and addresses one by one',
        'list the addresses it needs',
      );
  });
}

/** `command = ["a", "b"]` runs each in turn, stopping at the first that fails: one `a && b`. */
function translateBuild(build: Table): Table {
  const { command } = build;
  if (Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === 'string'))
    return { ...build, command: command.join(' && ') };
  return build;
}
