/**
 * set-times for descriptors and paths. Node's utimes takes float seconds (libuv then rounds to
 * microseconds) and always sets both timestamps, so "leave atime alone" or "mtime - 100 ns" cannot
 * be expressed through it. Where GNU coreutils' `touch` exists it does utimensat exactly (with
 * UTIME_OMIT for the untouched side); elsewhere Node's utimes is the best effort.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, lutimesSync, statSync, utimesSync } from 'node:fs';
import type { Datetime } from '../clocks.ts';
import { fsError } from './errors.ts';

export type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

/** How long one `touch` may take before we give up on it (it is a single syscall). */
const TOUCH_TIMEOUT_MS = 5_000;

/** Fixed locations only: a guest's request must never run whatever `touch` the host PATH finds first. */
const TOUCH_CANDIDATES = ['/usr/bin/touch', '/bin/touch'];

let gnuTouch: string | null | undefined;
function gnuTouchPath(): string | null {
  if (gnuTouch === undefined) {
    gnuTouch = null;
    for (const candidate of TOUCH_CANDIDATES.filter((c) => existsSync(c))) {
      const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: TOUCH_TIMEOUT_MS });
      if (probe.status === 0 && probe.stdout.includes('GNU coreutils')) {
        gnuTouch = candidate;
        break;
      }
    }
  }
  return gnuTouch;
}

/** Whether timestamps are set to the nanosecond here (else to about a microsecond). */
export const setTimesIsExact = (): boolean => gnuTouchPath() !== null;

function validate(t: NewTimestamp): void {
  if (t.tag === 'timestamp' && (t.val.nanoseconds < 0 || t.val.nanoseconds >= 1e9)) throw fsError('invalid');
}

/**
 * Sets the timestamps of `path`. `follow` false acts on a final symlink itself; callers pass paths
 * already resolved inside the sandbox, or /proc/self/fd links for open descriptors (`follow` true).
 * The path must exist: callers stat it first, so a failure here is not a missing file.
 */
export function setTimes(path: string, follow: boolean, atime: NewTimestamp, mtime: NewTimestamp): void {
  validate(atime);
  validate(mtime);
  if (atime.tag === 'no-change' && mtime.tag === 'no-change') return;
  const touch = gnuTouchPath();
  if (touch && touchExact(touch, path, follow, atime, mtime)) return;
  const stat = follow ? statSync(path) : lstatSync(path);
  const seconds = (t: NewTimestamp, currentMs: number): number => {
    if (t.tag === 'now') return Date.now() / 1000;
    if (t.tag === 'timestamp') return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
    return currentMs / 1000;
  };
  const a = seconds(atime, stat.atimeMs);
  const m = seconds(mtime, stat.mtimeMs);
  if (follow) utimesSync(path, a, m);
  else lutimesSync(path, a, m);
}

function touchArg(t: NewTimestamp): string[] {
  if (t.tag !== 'timestamp') return [];
  return ['-d', `@${t.val.seconds}.${String(t.val.nanoseconds).padStart(9, '0')}`];
}

const sameChange = (a: NewTimestamp, b: NewTimestamp): boolean =>
  a.tag === b.tag &&
  (a.tag !== 'timestamp' ||
    (b.tag === 'timestamp' && a.val.seconds === b.val.seconds && a.val.nanoseconds === b.val.nanoseconds));

/** True when touch did it; false to fall back (touch missing, or it refused). */
function touchExact(
  touch: string,
  path: string,
  follow: boolean,
  atime: NewTimestamp,
  mtime: NewTimestamp,
): boolean {
  const common = ['-c', ...(follow ? [] : ['-h'])];
  const calls: string[][] = sameChange(atime, mtime)
    ? [[...common, ...touchArg(atime)]]
    : [
        ...(atime.tag === 'no-change' ? [] : [[...common, '-a', ...touchArg(atime)]]),
        ...(mtime.tag === 'no-change' ? [] : [[...common, '-m', ...touchArg(mtime)]]),
      ];
  for (const args of calls) {
    // No shell: the path is one argv entry after `--`, whatever characters it holds.
    const result = spawnSync(touch, [...args, '--', path], { stdio: 'ignore', timeout: TOUCH_TIMEOUT_MS });
    if (result.status !== 0) return false;
  }
  return true;
}
