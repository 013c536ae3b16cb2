/**
 * The sandbox rules, checked on the wasi:filesystem API itself (guest runs cover the same ground in
 * sandbox.test.ts): no path leaves its folder, no symlink leads out, read-only mounts stay unchanged.
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IoError } from '../io/error.ts';
import type { ErrorCode } from './errors.ts';
import { type Descriptor, filesystemImports, preparePreopens } from './index.ts';
import { verifiedFolderPath } from './sandbox-path.ts';

const scratch = mkdtempSync(join(tmpdir(), 'skiff-fs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let fixtureCount = 0;
/** A fresh host tree: <case>/secret.txt beside <case>/mount/{hello.txt, sub/}. */
function hostTree(): { outside: string; mount: string } {
  const outside = join(scratch, `case-${fixtureCount++}`);
  const mount = join(outside, 'mount');
  mkdirSync(join(mount, 'sub'), { recursive: true });
  writeFileSync(join(mount, 'hello.txt'), 'hello');
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  return { outside, mount };
}

function preopen(hostPath: string, readOnly: boolean) {
  const fs = filesystemImports(preparePreopens([{ hostPath, guestPath: '/', readOnly }]));
  const [entry] = (fs.preopens as { getDirectories(): Array<[Descriptor, string]> }).getDirectories();
  assert.ok(entry);
  after(() => fs.dispose());
  return { root: entry[0], guestPath: entry[1], fs };
}

function throwsCode(action: () => unknown, ...codes: ErrorCode[]): void {
  assert.throws(action, (e: unknown) => {
    const payload = (e as { payload?: unknown }).payload;
    assert.ok(
      codes.includes(payload as ErrorCode),
      `expected ${codes.join(' or ')}, got ${String(payload ?? e)}`,
    );
    return true;
  });
}

const readFlags = { read: true };
const noFollow = {};
const follow = { symlinkFollow: true };

function readAll(dir: Descriptor, path: string): string {
  const file = dir.openAt(follow, path, {}, readFlags);
  const [bytes] = file.read(1024n, 0n);
  file[Symbol.dispose]();
  return Buffer.from(bytes).toString();
}

test('a mount is one preopen at its guest path, and reads work inside it', () => {
  const { mount } = hostTree();
  const { root, guestPath } = preopen(mount, true);
  assert.equal(guestPath, '/');
  assert.equal(readAll(root, 'hello.txt'), 'hello');
  assert.equal(readAll(root, 'sub/../hello.txt'), 'hello');
  assert.equal(root.statAt(noFollow, 'hello.txt').size, 5n);
  assert.equal(root.getType(), 'directory');
});

test('guest folders are named without a trailing slash, as libc matches them by prefix', () => {
  const { mount } = hostTree();
  const fs = filesystemImports(preparePreopens([{ hostPath: mount, guestPath: '/www/', readOnly: true }]));
  after(() => fs.dispose());
  const [[, guestPath] = []] = (
    fs.preopens as { getDirectories(): Array<[Descriptor, string]> }
  ).getDirectories();
  assert.equal(guestPath, '/www');
});

test('no mounts, no files', () => {
  const fs = filesystemImports(preparePreopens([]));
  assert.deepEqual((fs.preopens as { getDirectories(): unknown[] }).getDirectories(), []);
});

test('absolute paths are refused', () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  throwsCode(() => root.openAt(noFollow, '/hello.txt', {}, readFlags), 'not-permitted');
  throwsCode(() => root.statAt(noFollow, join(mount, 'hello.txt')), 'not-permitted');
  throwsCode(() => root.createDirectoryAt('/tmp-made-by-guest'), 'not-permitted');
});

test('`..` cannot climb above the folder a path is relative to', () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  throwsCode(() => root.openAt(noFollow, '../secret.txt', {}, readFlags), 'not-permitted');
  throwsCode(() => root.statAt(noFollow, 'sub/../../secret.txt'), 'not-permitted');
  throwsCode(() => root.unlinkFileAt('../secret.txt'), 'not-permitted');
  throwsCode(() => root.renameAt('hello.txt', root, '../stolen.txt'), 'not-permitted');
  // Each folder descriptor is its own boundary, as in wasmtime: `sub` cannot reach its parent.
  const sub = root.openAt(noFollow, 'sub', { directory: true }, readFlags);
  throwsCode(() => sub.openAt(noFollow, '../hello.txt', {}, readFlags), 'not-permitted');
  assert.equal(statSync(join(mount, 'hello.txt')).size, 5);
});

test('symlinks that lead out of the mount are not followed', () => {
  const { outside, mount } = hostTree();
  symlinkSync('../secret.txt', join(mount, 'relative-out'));
  symlinkSync(join(outside, 'secret.txt'), join(mount, 'absolute-out'));
  symlinkSync('..', join(mount, 'sub', 'up'));
  symlinkSync('../hello.txt', join(mount, 'sub', 'inside'));
  const { root } = preopen(mount, false);
  throwsCode(() => readAll(root, 'relative-out'), 'not-permitted');
  throwsCode(() => readAll(root, 'absolute-out'), 'not-permitted');
  throwsCode(() => readAll(root, 'sub/up/../secret.txt'), 'not-permitted');
  throwsCode(() => root.statAt(follow, 'relative-out'), 'not-permitted');
  throwsCode(() => root.createDirectoryAt('relative-out/x'), 'not-permitted');
  // Without follow the link itself is what the guest names: it may see it, not go through it.
  assert.equal(root.statAt(noFollow, 'relative-out').type, 'symbolic-link');
  throwsCode(() => root.openAt(noFollow, 'relative-out', {}, readFlags), 'loop');
  // A link that stays inside is fine, and so is `..` inside the mount through one.
  assert.equal(readAll(root, 'sub/inside'), 'hello');
  assert.equal(readAll(root, 'sub/up/hello.txt'), 'hello');
});

test('a folder renamed and replaced by a symlink out of the mount leads nowhere', () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  const sub = root.openAt(noFollow, 'sub', { directory: true }, readFlags);
  root.renameAt('sub', root, 'moved');
  // Each link looks harmless on its own; the kernel would follow `sub` to the mount's parent.
  root.symlinkAt('.', 'here');
  root.symlinkAt('here/..', 'sub');
  throwsCode(() => readAll(root, 'sub/secret.txt'), 'not-permitted');
  // The descriptor still means the folder it opened, now called `moved`, never the old path.
  throwsCode(() => readAll(sub, 'secret.txt'), 'no-entry');
  writeFileSync(join(mount, 'moved', 'inner.txt'), 'inner');
  assert.equal(readAll(sub, 'inner.txt'), 'inner');
  // Where there is no /proc, the kept path is checked against the open folder instead.
  const sandbox = { hostRoot: mount, readOnly: false };
  const movedFd = openSync(join(mount, 'moved'), 'r');
  after(() => closeSync(movedFd));
  throwsCode(() => verifiedFolderPath(sandbox, ['sub'], movedFd), 'no-entry');
  assert.equal(verifiedFolderPath(sandbox, ['moved'], movedFd), join(mount, 'moved'));
});

test('symlink-at refuses absolute targets and targets that climb out', () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  throwsCode(() => root.symlinkAt('/etc/passwd', 'link'), 'not-permitted');
  throwsCode(() => root.symlinkAt('../secret.txt', 'link'), 'not-permitted');
  throwsCode(() => root.symlinkAt('../../secret.txt', 'sub/link'), 'not-permitted');
  root.symlinkAt('../hello.txt', 'sub/ok');
  root.symlinkAt('dangling', 'dangling-link');
  assert.equal(readlinkSync(join(mount, 'sub', 'ok')), '../hello.txt');
  assert.equal(root.readlinkAt('dangling-link'), 'dangling');
});

test('a read-only mount rejects every change', () => {
  const { mount } = hostTree();
  symlinkSync('hello.txt', join(mount, 'link'));
  const { root } = preopen(mount, true);
  const file = root.openAt(noFollow, 'hello.txt', {}, readFlags);
  const rejected: Array<[string, () => unknown]> = [
    ['open for write', () => root.openAt(noFollow, 'hello.txt', {}, { read: true, write: true })],
    ['open create', () => root.openAt(noFollow, 'new.txt', { create: true }, readFlags)],
    ['open truncate', () => root.openAt(noFollow, 'hello.txt', { truncate: true }, readFlags)],
    [
      'open mutate-directory',
      () => root.openAt(noFollow, 'sub', { directory: true }, { mutateDirectory: true }),
    ],
    ['create-directory-at', () => root.createDirectoryAt('made')],
    ['remove-directory-at', () => root.removeDirectoryAt('sub')],
    ['unlink-file-at', () => root.unlinkFileAt('hello.txt')],
    ['rename-at', () => root.renameAt('hello.txt', root, 'renamed.txt')],
    ['link-at', () => root.linkAt(noFollow, 'hello.txt', root, 'hard')],
    ['symlink-at', () => root.symlinkAt('hello.txt', 'soft')],
    ['set-times-at', () => root.setTimesAt(noFollow, 'hello.txt', { tag: 'now' }, { tag: 'now' })],
    ['set-times', () => file.setTimes({ tag: 'now' }, { tag: 'now' })],
    ['set-size', () => file.setSize(0n)],
    ['write', () => file.write(new Uint8Array([1]), 0n)],
    ['write-via-stream', () => file.writeViaStream(0n)],
    ['append-via-stream', () => file.appendViaStream()],
  ];
  const before = statSync(join(mount, 'hello.txt'));
  for (const [what, action] of rejected) {
    assert.throws(action, (e: unknown) => {
      const payload = (e as { payload?: unknown }).payload;
      assert.ok(
        payload === 'read-only' || payload === 'bad-descriptor',
        `${what}: got ${String(payload ?? e)}`,
      );
      return true;
    });
  }
  assert.equal(readFileSync(join(mount, 'hello.txt'), 'utf8'), 'hello');
  assert.equal(statSync(join(mount, 'hello.txt')).mtimeMs, before.mtimeMs);
  assert.equal(lstatSync(join(mount, 'sub')).isDirectory(), true);
  assert.equal(root.getFlags().mutateDirectory, false);
});

test('a single-file mount shows that file and nothing beside it', () => {
  const { outside, mount } = hostTree();
  const fs = filesystemImports(
    preparePreopens([
      { hostPath: join(mount, 'hello.txt'), guestPath: '/config/greeting.txt', readOnly: true },
    ]),
  );
  after(() => fs.dispose());
  const [[dir, guestPath] = []] = (
    fs.preopens as { getDirectories(): Array<[Descriptor, string]> }
  ).getDirectories();
  assert.ok(dir);
  assert.equal(guestPath, '/config');
  assert.equal(readAll(dir, 'greeting.txt'), 'hello');
  throwsCode(() => dir.statAt(noFollow, 'sub'), 'no-entry');
  throwsCode(() => dir.statAt(noFollow, 'hello.txt'), 'no-entry');
  throwsCode(() => dir.statAt(noFollow, '../secret.txt'), 'not-permitted');
  const entries = dir.readDirectory();
  assert.deepEqual(entries.readDirectoryEntry(), { type: 'regular-file', name: 'greeting.txt' });
  assert.equal(entries.readDirectoryEntry(), undefined);
  assert.ok(outside);
});

test('files: streams, positional io, stat, set-times to the nanosecond, listing', async () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  const file = root.openAt(
    noFollow,
    'new.txt',
    { create: true, exclusive: true },
    { read: true, write: true },
  );
  throwsCode(() => root.openAt(noFollow, 'new.txt', { create: true, exclusive: true }, readFlags), 'exist');
  const out = file.writeViaStream(0n);
  await out.blockingWriteAndFlush(new TextEncoder().encode('abc'));
  assert.equal(file.write(new TextEncoder().encode('XY'), 1n), 2n);
  const appended = file.appendViaStream();
  await appended.blockingWriteAndFlush(new TextEncoder().encode('!'));
  assert.equal(readFileSync(join(mount, 'new.txt'), 'utf8'), 'aXY!');
  const input = file.readViaStream(2n);
  assert.equal(Buffer.from(await input.blockingRead(100n)).toString(), 'Y!');
  const [past, eof] = file.read(10n, 100n);
  assert.equal(past.length, 0);
  assert.equal(eof, true);
  const mtime = { seconds: 1_700_000_000n, nanoseconds: 123_456_789 };
  const atimeBefore = file.stat().dataAccessTimestamp;
  file.setTimes({ tag: 'no-change' }, { tag: 'timestamp', val: mtime });
  // Node's utimes keeps microseconds: the rest of the nanoseconds are rounded away.
  const written = file.stat().dataModificationTimestamp;
  assert.equal(written?.seconds, mtime.seconds);
  assert.ok(Math.abs((written?.nanoseconds ?? 0) - mtime.nanoseconds) < 1000, `${written?.nanoseconds}`);
  assert.equal(file.stat().dataAccessTimestamp?.seconds, atimeBefore?.seconds);
  file.setSize(1n);
  assert.equal(file.stat().size, 1n);
  assert.ok(file.isSameObject(root.openAt(noFollow, 'new.txt', {}, readFlags)));
  assert.deepEqual(file.metadataHash(), root.metadataHashAt(noFollow, 'new.txt'));
  const names: string[] = [];
  const listing = root.readDirectory();
  for (let e = listing.readDirectoryEntry(); e; e = listing.readDirectoryEntry())
    names.push(`${e.type}:${e.name}`);
  assert.deepEqual(names.sort(), ['directory:sub', 'regular-file:hello.txt', 'regular-file:new.txt']);
});

test('host errors become WASI error codes', () => {
  const { mount } = hostTree();
  const { root, fs } = preopen(mount, false);
  throwsCode(() => root.openAt(noFollow, 'missing.txt', {}, readFlags), 'no-entry');
  throwsCode(() => root.createDirectoryAt('sub'), 'exist');
  throwsCode(() => root.openAt(noFollow, 'hello.txt', { directory: true }, readFlags), 'not-directory');
  throwsCode(() => root.openAt(noFollow, 'sub', {}, { read: true, write: true }), 'is-directory');
  throwsCode(() => root.unlinkFileAt('sub'), 'is-directory', 'not-permitted');
  throwsCode(() => root.unlinkFileAt('hello.txt/'), 'not-directory');
  writeFileSync(join(mount, 'sub', 'x'), '');
  throwsCode(() => root.removeDirectoryAt('sub'), 'not-empty');
  throwsCode(() => root.removeDirectoryAt('.'), 'invalid');
  throwsCode(() => root.statAt(noFollow, ''), 'no-entry');
  symlinkSync('loop', join(mount, 'loop'));
  throwsCode(() => root.statAt(follow, 'loop'), 'loop');
  const file = root.openAt(noFollow, 'hello.txt', {}, readFlags);
  throwsCode(() => file.write(new Uint8Array([1]), 0n), 'bad-descriptor');
  throwsCode(() => file.openAt(noFollow, 'x', {}, readFlags), 'not-directory');
  const types = fs.types as { filesystemErrorCode(e: unknown): ErrorCode | undefined };
  assert.equal(types.filesystemErrorCode(new IoError('EIO: i/o error', { filesystem: 'io' })), 'io');
  assert.equal(
    types.filesystemErrorCode(new IoError('connection reset', { http: { tag: 'connection-terminated' } })),
    undefined,
  );
});

test('dispose closes what the instance left open', () => {
  const { mount } = hostTree();
  const fs = filesystemImports(preparePreopens([{ hostPath: mount, guestPath: '/', readOnly: true }]));
  const [[root] = []] = (fs.preopens as { getDirectories(): Array<[Descriptor, string]> }).getDirectories();
  assert.ok(root);
  const file = root.openAt(noFollow, 'hello.txt', {}, readFlags);
  fs.dispose();
  throwsCode(() => file.read(1n, 0n), 'bad-descriptor');
  throwsCode(() => root.statAt(noFollow, 'hello.txt'), 'bad-descriptor');
});
