/**
 * set-times for descriptors and paths, through Node's utimes family. Node takes float seconds
 * (libuv rounds to microseconds) and always sets both timestamps, so "no-change" re-writes the
 * current value and sub-microsecond timestamps are rounded. Exact nanoseconds would need
 * utimensat, which Node does not expose; running a helper process per guest call is not an option
 * (a guest must never make the host spawn processes).
 */
import { futimes, type Stats } from 'node:fs';
import { lstat, lutimes, stat, utimes } from 'node:fs/promises';
import type { Datetime } from '../clocks.ts';
import { fsError } from './errors.ts';
import { fstatPlain } from './host-fd.ts';

export type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

/** An open descriptor, or a path resolved inside the sandbox (`follow` false: a final symlink itself). */
export type TimesTarget = { fd: number } | { path: string; follow: boolean };

function validate(t: NewTimestamp): void {
  if (t.tag === 'timestamp' && (t.val.nanoseconds < 0 || t.val.nanoseconds >= 1e9)) throw fsError('invalid');
}

const futimesFd = (fd: number, atime: number, mtime: number): Promise<void> =>
  new Promise((resolve, reject) => futimes(fd, atime, mtime, (e) => (e ? reject(e) : resolve())));

/** Sets the timestamps of `target`, which must exist (callers stat paths first). */
export async function setTimes(target: TimesTarget, atime: NewTimestamp, mtime: NewTimestamp): Promise<void> {
  validate(atime);
  validate(mtime);
  if (atime.tag === 'no-change' && mtime.tag === 'no-change') return;
  const follow = 'fd' in target || target.follow;
  const current: Stats =
    'fd' in target
      ? await fstatPlain(target.fd)
      : follow
        ? await stat(target.path)
        : await lstat(target.path);
  const seconds = (t: NewTimestamp, currentMs: number): number => {
    if (t.tag === 'now') return Date.now() / 1000;
    if (t.tag === 'timestamp') return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
    return currentMs / 1000;
  };
  const a = seconds(atime, current.atimeMs);
  const m = seconds(mtime, current.mtimeMs);
  if ('fd' in target) await futimesFd(target.fd, a, m);
  else if (follow) await utimes(target.path, a, m);
  else await lutimes(target.path, a, m);
}
