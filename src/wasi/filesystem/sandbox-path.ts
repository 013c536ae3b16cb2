/**
 * Path resolution confined to one folder. Node has no openat(), so every `*-at` path is walked here
 * component by component with lstat. As in wasmtime, each folder descriptor is a capability of its
 * own: `..` may not climb above the folder the path is relative to, absolute paths are refused, and
 * each symlink met on the way is expanded in place under the same rule (escapes are `not-permitted`).
 * The host path handed to Node afterwards never ends in a symlink the kernel would follow: callers
 * use the no-follow variants of syscalls.
 *
 * Resolution and the syscall that uses it run in one synchronous stretch, so no guest in this
 * process can swap a component in between; a host process that races us on the mount could.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { fsError } from './errors.ts';

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

export interface ResolvedPath {
  /** Host names from the mount root down to the target, with no symlink or `..` left. */
  parts: string[];
  /** Absolute host path of the target (a trailing `/` kept when the guest wrote one). */
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

export function hostPathOf(sandbox: Sandbox, parts: string[]): string {
  return parts.length === 0 ? sandbox.hostRoot : join(sandbox.hostRoot, ...parts);
}

const lstatOrUndefined = (path: string): Stats | undefined => lstatSync(path, { throwIfNoEntry: false });

export function resolvePath(
  sandbox: Sandbox,
  base: string[],
  path: string,
  finalSymlink: FinalSymlink,
): ResolvedPath {
  if (path === '') throw fsError('no-entry');
  if (path.includes('\0')) throw fsError('invalid');
  if (path.startsWith('/')) throw fsError('not-permitted', 'absolute paths are not allowed');
  const stack = [...base];
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
      if (stack.length <= base.length) throw fsError('not-permitted', 'the path leads outside its folder');
      stack.pop();
      continue;
    }
    const hostName = hostNameAt(sandbox, stack, name);
    const hostPath = join(hostPathOf(sandbox, stack), hostName);
    if (isLast && finalSymlink === 'keep' && !slashAfter) {
      stack.push(hostName);
      break;
    }
    const stat = lstatOrUndefined(hostPath);
    if (!stat) {
      if (!isLast) throw fsError('no-entry');
      stack.push(hostName);
      break;
    }
    if (stat.isSymbolicLink()) {
      // A trailing slash on a link that is not to be followed: the kernel would follow it, we do not.
      if (isLast && finalSymlink === 'keep') throw fsError('not-directory');
      if (++expansions > MAX_SYMLINK_EXPANSIONS) throw fsError('loop');
      const target = readlinkSync(hostPath, 'utf8');
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
  if (stack.length === 0 && (lastName === undefined || lastName === '.' || lastName === '..')) {
    return { parts: stack, hostPath: sandbox.hostRoot, lastName, trailingSlash };
  }
  const hostPath = hostPathOf(sandbox, stack) + (trailingSlash ? '/' : '');
  return { parts: stack, hostPath, lastName, trailingSlash };
}

function hostNameAt(sandbox: Sandbox, stack: string[], name: string): string {
  if (stack.length > 0 || !sandbox.only) return name;
  if (name !== sandbox.only.guestName) throw fsError('no-entry');
  return sandbox.only.hostName;
}

/**
 * For operations that create, remove or rename the entry itself: the path must end in a plain name,
 * not `.`/`..` (which would act on a folder the guest only walked through) nor the mount root.
 */
export function requireEntryName(
  resolved: ResolvedPath,
  code: 'invalid' | 'exist' | 'busy' = 'invalid',
): void {
  const { lastName, parts } = resolved;
  if (parts.length === 0 || lastName === undefined || lastName === '.' || lastName === '..')
    throw fsError(code);
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
