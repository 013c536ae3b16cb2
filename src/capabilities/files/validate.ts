import path from 'node:path';
import type { FileMount } from '../../manifest/app.ts';
import { describeValue, isTable, type ManifestChecker, type Table } from '../../manifest/checker.ts';
import { MANIFEST_KEYS } from '../../manifest/keys.ts';
import type { KeyPath } from '../../manifest/locate.ts';

const MOUNT_EXAMPLE = '{ source = "assets", destination = "/assets" }';

/**
 * `files = ["static", { source = "assets", destination = "/assets", read_only = true }]`.
 * A string mounts that folder (relative to the manifest) at the same path under `/`.
 */
export function validateFiles(
  checker: ManifestChecker,
  component: Table,
  componentPath: KeyPath,
  spot: string,
): FileMount[] {
  const value = component.files;
  const filesPath = [...componentPath, 'files'];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    checker.report(
      filesPath,
      `"files" in ${spot} must be an array, got ${describeValue(value)}`,
      `write files = ["static", ${MOUNT_EXAMPLE}]`,
    );
    return [];
  }
  const mounts: FileMount[] = [];
  const firstLineByGuestPath = new Map<string, number>();
  value.forEach((entry: unknown, index) => {
    const entryPath = [...filesPath, index];
    const mount = parseMount(checker, entry, entryPath, spot);
    if (!mount) return;
    const firstLine = firstLineByGuestPath.get(mount.guestPath);
    if (firstLine !== undefined) {
      checker.report(
        entryPath,
        `two "files" entries in ${spot} mount at guest path "${mount.guestPath}" (the first on line ${firstLine})`,
        'give each mount its own destination',
      );
      return;
    }
    firstLineByGuestPath.set(mount.guestPath, checker.lineOf(entryPath));
    mounts.push(mount);
  });
  return mounts;
}

function parseMount(
  checker: ManifestChecker,
  entry: unknown,
  entryPath: KeyPath,
  spot: string,
): FileMount | undefined {
  if (typeof entry === 'string') return shorthandMount(checker, entry, entryPath, spot);
  if (isTable(entry)) return tableMount(checker, entry, entryPath, spot);
  checker.report(
    entryPath,
    `each "files" entry in ${spot} must be a path or a table, got ${describeValue(entry)}`,
    `write "static" or ${MOUNT_EXAMPLE}`,
  );
  return undefined;
}

/** `"static"` → host `<baseDir>/static` at guest `/static`. */
function shorthandMount(
  checker: ManifestChecker,
  entry: string,
  entryPath: KeyPath,
  spot: string,
): FileMount | undefined {
  const relative = path.posix.normalize(entry.replaceAll('\\', '/')).replace(/\/+$/, '') || '.';
  const tableForm = `use the table form: { source = "${entry}", destination = "/${path.posix.basename(relative)}" }`;
  if (entry.trim() === '') {
    checker.report(entryPath, `empty "files" entry in ${spot}`, `write "static" or ${MOUNT_EXAMPLE}`);
    return undefined;
  }
  if (/[*?[\]{}]/.test(entry)) {
    checker.report(
      entryPath,
      `"files" entry "${entry}" in ${spot} is a glob pattern; Skiff mounts files and folders`,
      'mount the folder that holds the files',
    );
    return undefined;
  }
  if (path.isAbsolute(entry) || relative === '..' || relative.startsWith('../')) {
    // The shorthand reuses the path as the guest path, which only works for paths inside the manifest folder.
    checker.report(
      entryPath,
      `"files" entry "${entry}" in ${spot} is not inside the manifest folder, so it has no guest path`,
      tableForm,
    );
    return undefined;
  }
  const hostPath = path.resolve(checker.baseDir, relative);
  requireSource(checker, hostPath, entryPath, entry, spot);
  return { hostPath, guestPath: relative === '.' ? '/' : `/${relative}`, readOnly: true };
}

function tableMount(
  checker: ManifestChecker,
  entry: Table,
  entryPath: KeyPath,
  spot: string,
): FileMount | undefined {
  const mountSpot = `a "files" entry of ${spot}`;
  checker.checkKeys(entry, entryPath, mountSpot, MANIFEST_KEYS.fileMount);
  const source = checker.string(entry, 'source', entryPath, mountSpot, {
    required: true,
    example: 'source = "assets"',
  });
  const destination = checker.string(entry, 'destination', entryPath, mountSpot, {
    required: true,
    example: 'destination = "/assets"',
  });
  const readOnly = entry.read_only ?? true;
  if (typeof readOnly !== 'boolean') {
    checker.report(
      [...entryPath, 'read_only'],
      `"read_only" in ${mountSpot} must be a boolean, got ${describeValue(readOnly)}`,
      'write read_only = true or read_only = false',
    );
  }
  let guestPath: string | undefined;
  if (destination !== undefined) {
    const reason = guestPathProblem(destination);
    if (reason)
      checker.report(
        [...entryPath, 'destination'],
        `destination "${destination}" in ${mountSpot} ${reason}`,
        'write an absolute guest path such as "/assets"',
      );
    else guestPath = normalizeGuestPath(destination);
  }
  if (source === undefined || guestPath === undefined || typeof readOnly !== 'boolean') return undefined;
  const hostPath = path.resolve(checker.baseDir, source);
  requireSource(checker, hostPath, [...entryPath, 'source'], source, spot);
  return { hostPath, guestPath, readOnly };
}

function requireSource(
  checker: ManifestChecker,
  hostPath: string,
  where: KeyPath,
  written: string,
  spot: string,
): void {
  checker.requirePath({
    hostPath,
    expect: 'file-or-directory',
    where,
    what: `"files" source "${written}" of ${spot}`,
    missingHint: `create it, or fix the path (relative to ${checker.baseDir})`,
  });
}

/** Why `guestPath` cannot be a mount point, or undefined when it can. Shared with `--dir HOST::GUEST`. */
export function guestPathProblem(guestPath: string): string | undefined {
  if (!guestPath.startsWith('/')) return 'is not an absolute path';
  if (guestPath.split('/').includes('..')) return 'contains ".."';
  return undefined;
}

/** `/a//b/` → `/a/b`, so equal mount points compare equal. */
export function normalizeGuestPath(guestPath: string): string {
  return path.posix.normalize(guestPath).replace(/(.)\/+$/, '$1');
}
