/**
 * Path resolution confined to one folder. Node has no openat(), so every `*-at` path is walked here
 * component by component with lstat. As in wasmtime, each folder descriptor is a capability of its
 * own: `..` may not climb above the folder the path is relative to, absolute paths are refused, and
 * each symlink met on the way is expanded in place under the same rule (escapes are `not-permitted`).
 * Paths start from the descriptor's open folder (folderPath), not from a path remembered when it was
 * opened, and the host path handed to Node afterwards never ends in a symlink the kernel would
 * follow: callers use the no-follow variants of syscalls.
 *
 * Every lookup runs in libuv's thread pool. Callers hold the namespace lock (namespace-lock.ts)
 * from resolution to the syscall that uses it, so no guest in this process can swap a component in
 * between; a host process that races us on the mount could.
 */
import { existsSync, type Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError } from './errors.ts';
import { fstatPlain } from './host-fd.ts';

/** Symlinks expanded in one resolution before giving up with `loop` (Linux's MAXSYMLINKS). */
const MAX_SYMLINK_EXPANSIONS = 40;

/** One mount as the guest sees it: everything it can reach lives under `hostRoot`. */
export interface Sandbox {
  /** Canonical (realpath) host folder. */
  readonly hostRoot: string;
  readonly readOnly: boolean;
  /**
   * A single-file mount shows its folder with just that one entry: `guestName` at the top level
   * is `hostName` on the host, and nothing else there exists.
   */
  readonly only?: { guestName: string; hostName: string } | undefined;
}

/** Where a `*-at` path starts: the folder of a directory descriptor. */
export interface PathBase {
  sandbox: Sandbox;
  /** Host names from the mount root down to the folder. */
  parts: string[];
  /** A host path that names the folder right now (see folderPath). */
  hostPath: string;
}

export interface ResolvedPath {
  /** Host names from the mount root down to the target, with no symlink or `..` left. */
  parts: string[];
  /** Host path of the target, below the base's host path (a trailing `/` kept if the guest wrote one). */
  hostPath: string;
  /** The last component the guest named: a plain name, or `.`/`..`/undefined when it names a folder it walked. */
  lastName: string | undefined;
  /** The guest path ended in `/`. */
  trailingSlash: boolean;
}

/**
 * `follow`: the last component is a symlink to expand (path-flags symlink-follow, or a lookup that
 * always follows). `keep`: the last component is the link itself (unlink, rename, create, …).
 */
export type FinalSymlink = 'follow' | 'keep';

/**
 * Linux names what an fd is open on by /proc/PID/fd/N, and paths below it start from the fd, as with
 * openat(). The pid rather than `self`, so the path still means our fd inside a `touch` child.
 */
const PROC_FD = existsSync(`/proc/${process.pid}/fd`) ? `/proc/${process.pid}/fd` : undefined;

/**
 * A host path for the folder open as `fd`. A path kept from when it was opened is not enough: the
 * guest may since have renamed the folder and put a symlink in its place, one that the kernel would
 * follow as an intermediate component, out of the mount.
 */
export async function folderPath(sandbox: Sandbox, parts: string[], fd: number): Promise<string> {
  // The trailing `.` makes the folder, not the /proc link itself, what lstat and O_NOFOLLOW see.
  return PROC_FD ? `${PROC_FD}/${fd}/.` : verifiedFolderPath(sandbox, parts, fd);
}

/** The /proc link of an open fd (it follows the file through renames), where there is /proc. */
export const procFdPath = (fd: number): string | undefined => (PROC_FD ? `${PROC_FD}/${fd}` : undefined);

/** Without /proc: the kept path must still lead through real folders to the very folder `fd` is. */
export async function verifiedFolderPath(sandbox: Sandbox, parts: string[], fd: number): Promise<string> {
  let path = sandbox.hostRoot;
  let stat: Stats | undefined = await lstatOrUndefined(path);
  for (const part of parts) {
    if (!stat?.isDirectory()) break;
    path = join(path, part);
    stat = await lstatOrUndefined(path);
  }
  const opened = await fstatPlain(fd);
  if (!stat?.isDirectory() || stat.dev !== opened.dev || stat.ino !== opened.ino) {
    throw fsError('no-entry', 'the folder was moved or replaced since it was opened');
  }
  return path;
}

/** lstat, or undefined when nothing is there (any other failure still throws). */
async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function resolvePath(
  base: PathBase,
  path: string,
  finalSymlink: FinalSymlink,
): Promise<ResolvedPath> {
  if (path === '') throw fsError('no-entry');
  if (path.includes('\0')) throw fsError('invalid');
  if (path.startsWith('/')) throw fsError('not-permitted', 'absolute paths are not allowed');
  /** Host names below the base folder; it never pops past the base. */
  const stack: string[] = [];
  const pending = path.split('/');
  let expansions = 0;
  let lastName: string | undefined;
  let trailingSlash = false;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '') continue;
    const isLast = pending.every((c) => c === '');
    const slashAfter = pending.length > 0;
    if (isLast) {
      lastName = name;
      trailingSlash = slashAfter;
    }
    if (name === '.') continue;
    if (name === '..') {
      if (stack.length === 0) throw fsError('not-permitted', 'the path leads outside its folder');
      stack.pop();
      continue;
    }
    const hostName = hostNameAt(base.sandbox, base.parts.length + stack.length, name);
    const hostPath = join(base.hostPath, ...stack, hostName);
    if (isLast && finalSymlink === 'keep' && !slashAfter) {
      stack.push(hostName);
      break;
    }
    const stat = await lstatOrUndefined(hostPath);
    if (!stat) {
      if (!isLast) throw fsError('no-entry');
      stack.push(hostName);
      break;
    }
    if (stat.isSymbolicLink()) {
      // A trailing slash on a link that is not to be followed: the kernel would follow it, we do not.
      if (isLast && finalSymlink === 'keep') throw fsError('not-directory');
      if (++expansions > MAX_SYMLINK_EXPANSIONS) throw fsError('loop');
      const target = await readlink(hostPath, 'utf8');
      if (target.startsWith('/'))
        throw fsError('not-permitted', 'a symlink on the path leads outside the mount');
      // The link's own trailing slash (if any) stays in `pending`, so the target must be a folder too.
      pending.unshift(...target.split('/'));
      if (isLast) lastName = undefined;
      continue;
    }
    if (!stat.isDirectory() && (!isLast || slashAfter)) throw fsError('not-directory');
    stack.push(hostName);
  }
  const parts = [...base.parts, ...stack];
  if (stack.length === 0) return { parts, hostPath: base.hostPath, lastName, trailingSlash };
  const hostPath = join(base.hostPath, ...stack) + (trailingSlash ? '/' : '');
  return { parts, hostPath, lastName, trailingSlash };
}

function hostNameAt(sandbox: Sandbox, depth: number, name: string): string {
  if (depth > 0 || !sandbox.only) return name;
  if (name !== sandbox.only.guestName) throw fsError('no-entry');
  return sandbox.only.hostName;
}

/**
 * For operations that create, remove or rename the entry itself: the path must end in a plain name,
 * not `.`/`..`, which would act on a folder the guest only walked through or on the base itself.
 */
export function requireEntryName(resolved: ResolvedPath, code: 'invalid' | 'exist' = 'invalid'): void {
  const { lastName } = resolved;
  if (lastName === undefined || lastName === '.' || lastName === '..') throw fsError(code);
}

/**
 * A symlink whose folder is `depth` levels below the descriptor it is created through, with this
 * target: absolute targets and targets that climb above that descriptor are refused outright.
 */
export function checkSymlinkTarget(depth: number, target: string): void {
  if (target === '' || target.includes('\0')) throw fsError('invalid');
  if (target.startsWith('/')) throw fsError('not-permitted', 'symlink targets must be relative');
  let level = depth;
  for (const name of target.split('/')) {
    if (name === '' || name === '.') continue;
    level += name === '..' ? -1 : 1;
    if (level < 0) throw fsError('not-permitted', 'the symlink target leads outside the mount');
  }
}
