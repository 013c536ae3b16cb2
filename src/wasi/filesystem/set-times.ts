/**
 * set-times for descriptors and paths, through Node's utimes family. Node takes float seconds
 * (libuv rounds to microseconds) and always sets both timestamps, so "no-change" re-writes the
 * current value and sub-microsecond timestamps are rounded. Exact nanoseconds would need
 * utimensat, which Node does not expose; running a helper process per guest call is not an option
 * (a guest must never make the host spawn processes).
 */
import { fstatSync, futimesSync, lstatSync, lutimesSync, statSync, utimesSync } from 'node:fs';
import type { Datetime } from '../clocks.ts';
import { fsError } from './errors.ts';

export type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

/** An open descriptor, or a path resolved inside the sandbox (`follow` false: a final symlink itself). */
export type TimesTarget = { fd: number } | { path: string; follow: boolean };

function validate(t: NewTimestamp): void {
  if (t.tag === 'timestamp' && (t.val.nanoseconds < 0 || t.val.nanoseconds >= 1e9)) throw fsError('invalid');
}

/** Sets the timestamps of `target`, which must exist (callers stat paths first). */
export function setTimes(target: TimesTarget, atime: NewTimestamp, mtime: NewTimestamp): void {
  validate(atime);
  validate(mtime);
  if (atime.tag === 'no-change' && mtime.tag === 'no-change') return;
  const follow = 'fd' in target || target.follow;
  const stat =
    'fd' in target ? fstatSync(target.fd) : follow ? statSync(target.path) : lstatSync(target.path);
  const seconds = (t: NewTimestamp, currentMs: number): number => {
    if (t.tag === 'now') return Date.now() / 1000;
    if (t.tag === 'timestamp') return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
    return currentMs / 1000;
  };
  const a = seconds(atime, stat.atimeMs);
  const m = seconds(mtime, stat.mtimeMs);
  if ('fd' in target) futimesSync(target.fd, a, m);
  else if (follow) utimesSync(target.path, a, m);
  else lutimesSync(target.path, a, m);
}
