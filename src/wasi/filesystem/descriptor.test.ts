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
  const [entry] = (
    fs.preopens as unknown as { getDirectories(): Array<[Descriptor, string]> }
  ).getDirectories();
  assert.ok(entry);
  after(() => fs.dispose());
  return { root: entry[0], guestPath: entry[1], fs };
}

/** The call fails with `err(code)`, thrown at once or as a rejected promise. */
async function throwsCode(action: () => unknown, ...codes: ErrorCode[]): Promise<void> {
  await assert.rejects(
    async () => action(),
    (e: unknown) => {
      const payload = (e as { payload?: unknown }).payload;
      assert.ok(
        codes.includes(payload as ErrorCode),
        `expected ${codes.join(' or ')}, got ${String(payload ?? e)}`,
      );
      return true;
    },
  );
}

const readFlags = { read: true };
const noFollow = {};
const follow = { symlinkFollow: true };

async function readAll(dir: Descriptor, path: string): Promise<string> {
  const file = await dir.openAt(follow, path, {}, readFlags);
  const [bytes] = await file.read(1024n, 0n);
  file[Symbol.dispose]();
  return Buffer.from(bytes).toString();
}

test('a mount is one preopen at its guest path, and reads work inside it', async () => {
  const { mount } = hostTree();
  const { root, guestPath } = preopen(mount, true);
  assert.equal(guestPath, '/');
  assert.equal(await readAll(root, 'hello.txt'), 'hello');
  assert.equal(await readAll(root, 'sub/../hello.txt'), 'hello');
  assert.equal((await root.statAt(noFollow, 'hello.txt')).size, 5n);
  assert.equal(root.getType(), 'directory');
});

test('guest folders are named without a trailing slash, as libc matches them by prefix', () => {
  const { mount } = hostTree();
  const fs = filesystemImports(preparePreopens([{ hostPath: mount, guestPath: '/www/', readOnly: true }]));
  after(() => fs.dispose());
  const [[, guestPath] = []] = (
    fs.preopens as unknown as { getDirectories(): Array<[Descriptor, string]> }
  ).getDirectories();
  assert.equal(guestPath, '/www');
});

test('no mounts, no files', () => {
  const fs = filesystemImports(preparePreopens([]));
  assert.deepEqual((fs.preopens as { getDirectories(): unknown[] }).getDirectories(), []);
});

test('absolute paths are refused', async () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  await throwsCode(() => root.openAt(noFollow, '/hello.txt', {}, readFlags), 'not-permitted');
  await throwsCode(() => root.statAt(noFollow, join(mount, 'hello.txt')), 'not-permitted');
  await throwsCode(() => root.createDirectoryAt('/tmp-made-by-guest'), 'not-permitted');
});

test('`..` cannot climb above the folder a path is relative to', async () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  await throwsCode(() => root.openAt(noFollow, '../secret.txt', {}, readFlags), 'not-permitted');
  await throwsCode(() => root.statAt(noFollow, 'sub/../../secret.txt'), 'not-permitted');
  await throwsCode(() => root.unlinkFileAt('../secret.txt'), 'not-permitted');
  await throwsCode(() => root.renameAt('hello.txt', root, '../stolen.txt'), 'not-permitted');
  // Each folder descriptor is its own boundary, as in wasmtime: `sub` cannot reach its parent.
  const sub = await root.openAt(noFollow, 'sub', { directory: true }, readFlags);
  await throwsCode(() => sub.openAt(noFollow, '../hello.txt', {}, readFlags), 'not-permitted');
  assert.equal(statSync(join(mount, 'hello.txt')).size, 5);
});

test('symlinks that lead out of the mount are not followed', async () => {
  const { outside, mount } = hostTree();
  symlinkSync('../secret.txt', join(mount, 'relative-out'));
  symlinkSync(join(outside, 'secret.txt'), join(mount, 'absolute-out'));
  symlinkSync('..', join(mount, 'sub', 'up'));
  symlinkSync('../hello.txt', join(mount, 'sub', 'inside'));
  const { root } = preopen(mount, false);
  await throwsCode(() => readAll(root, 'relative-out'), 'not-permitted');
  await throwsCode(() => readAll(root, 'absolute-out'), 'not-permitted');
  await throwsCode(() => readAll(root, 'sub/up/../secret.txt'), 'not-permitted');
  await throwsCode(() => root.statAt(follow, 'relative-out'), 'not-permitted');
  await throwsCode(() => root.createDirectoryAt('relative-out/x'), 'not-permitted');
  // Without follow the link itself is what the guest names: it may see it, not go through it.
  assert.equal((await root.statAt(noFollow, 'relative-out')).type, 'symbolic-link');
  await throwsCode(() => root.openAt(noFollow, 'relative-out', {}, readFlags), 'loop');
  // A link that stays inside is fine, and so is `..` inside the mount through one.
  assert.equal(await readAll(root, 'sub/inside'), 'hello');
  assert.equal(await readAll(root, 'sub/up/hello.txt'), 'hello');
});

test('a folder renamed and replaced by a symlink out of the mount leads nowhere', async () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  const sub = await root.openAt(noFollow, 'sub', { directory: true }, readFlags);
  await root.renameAt('sub', root, 'moved');
  // Each link looks harmless on its own; the kernel would follow `sub` to the mount's parent.
  await root.symlinkAt('.', 'here');
  await root.symlinkAt('here/..', 'sub');
  await throwsCode(() => readAll(root, 'sub/secret.txt'), 'not-permitted');
  // The descriptor still means the folder it opened, now called `moved`, never the old path.
  await throwsCode(() => readAll(sub, 'secret.txt'), 'no-entry');
  writeFileSync(join(mount, 'moved', 'inner.txt'), 'inner');
  assert.equal(await readAll(sub, 'inner.txt'), 'inner');
  // Where there is no /proc, the kept path is checked against the open folder instead.
  const sandbox = { hostRoot: mount, readOnly: false };
  const movedFd = openSync(join(mount, 'moved'), 'r');
  after(() => closeSync(movedFd));
  await throwsCode(() => verifiedFolderPath(sandbox, ['sub'], movedFd), 'no-entry');
  assert.equal(await verifiedFolderPath(sandbox, ['moved'], movedFd), join(mount, 'moved'));
});

test('symlink-at refuses absolute targets and targets that climb out', async () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  await throwsCode(() => root.symlinkAt('/etc/passwd', 'link'), 'not-permitted');
  await throwsCode(() => root.symlinkAt('../secret.txt', 'link'), 'not-permitted');
  await throwsCode(() => root.symlinkAt('../../secret.txt', 'sub/link'), 'not-permitted');
  await root.symlinkAt('../hello.txt', 'sub/ok');
  await root.symlinkAt('dangling', 'dangling-link');
  assert.equal(readlinkSync(join(mount, 'sub', 'ok')), '../hello.txt');
  assert.equal(await root.readlinkAt('dangling-link'), 'dangling');
});

test('a read-only mount rejects every change', async () => {
  const { mount } = hostTree();
  symlinkSync('hello.txt', join(mount, 'link'));
  const { root } = preopen(mount, true);
  const file = await root.openAt(noFollow, 'hello.txt', {}, readFlags);
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
    await assert.rejects(
      async () => action(),
      (e: unknown) => {
        const payload = (e as { payload?: unknown }).payload;
        assert.ok(
          payload === 'read-only' || payload === 'bad-descriptor',
          `${what}: got ${String(payload ?? e)}`,
        );
        return true;
      },
    );
  }
  assert.equal(readFileSync(join(mount, 'hello.txt'), 'utf8'), 'hello');
  assert.equal(statSync(join(mount, 'hello.txt')).mtimeMs, before.mtimeMs);
  assert.equal(lstatSync(join(mount, 'sub')).isDirectory(), true);
  assert.equal(root.getFlags().mutateDirectory, false);
});

test('a single-file mount shows that file and nothing beside it', async () => {
  const { outside, mount } = hostTree();
  const fs = filesystemImports(
    preparePreopens([
      { hostPath: join(mount, 'hello.txt'), guestPath: '/config/greeting.txt', readOnly: true },
    ]),
  );
  after(() => fs.dispose());
  const [[dir, guestPath] = []] = (
    fs.preopens as unknown as { getDirectories(): Array<[Descriptor, string]> }
  ).getDirectories();
  assert.ok(dir);
  assert.equal(guestPath, '/config');
  assert.equal(await readAll(dir, 'greeting.txt'), 'hello');
  await throwsCode(() => dir.statAt(noFollow, 'sub'), 'no-entry');
  await throwsCode(() => dir.statAt(noFollow, 'hello.txt'), 'no-entry');
  await throwsCode(() => dir.statAt(noFollow, '../secret.txt'), 'not-permitted');
  const entries = await dir.readDirectory();
  assert.deepEqual(await entries.readDirectoryEntry(), { type: 'regular-file', name: 'greeting.txt' });
  assert.equal(await entries.readDirectoryEntry(), undefined);
  assert.ok(outside);
});

test('files: streams, positional io, stat, set-times to the nanosecond, listing', async () => {
  const { mount } = hostTree();
  const { root } = preopen(mount, false);
  const file = await root.openAt(
    noFollow,
    'new.txt',
    { create: true, exclusive: true },
    { read: true, write: true },
  );
  await throwsCode(
    () => root.openAt(noFollow, 'new.txt', { create: true, exclusive: true }, readFlags),
    'exist',
  );
  const out = file.writeViaStream(0n);
  await out.blockingWriteAndFlush(new TextEncoder().encode('abc'));
  assert.equal(await file.write(new TextEncoder().encode('XY'), 1n), 2n);
  const appended = file.appendViaStream();
  await appended.blockingWriteAndFlush(new TextEncoder().encode('!'));
  assert.equal(readFileSync(join(mount, 'new.txt'), 'utf8'), 'aXY!');
  const input = file.readViaStream(2n);
  assert.equal(Buffer.from(await input.blockingRead(100n)).toString(), 'Y!');
  const [past, eof] = await file.read(10n, 100n);
  assert.equal(past.length, 0);
  assert.equal(eof, true);
  const mtime = { seconds: 1_700_000_000n, nanoseconds: 123_456_789 };
  const atimeBefore = (await file.stat()).dataAccessTimestamp;
  await file.setTimes({ tag: 'no-change' }, { tag: 'timestamp', val: mtime });
  // Node's utimes keeps microseconds: the rest of the nanoseconds are rounded away.
  const written = (await file.stat()).dataModificationTimestamp;
  assert.equal(written?.seconds, mtime.seconds);
  assert.ok(Math.abs((written?.nanoseconds ?? 0) - mtime.nanoseconds) < 1000, `${written?.nanoseconds}`);
  assert.equal((await file.stat()).dataAccessTimestamp?.seconds, atimeBefore?.seconds);
  await file.setSize(1n);
  assert.equal((await file.stat()).size, 1n);
  assert.ok(file.isSameObject(await root.openAt(noFollow, 'new.txt', {}, readFlags)));
  assert.deepEqual(file.metadataHash(), await root.metadataHashAt(noFollow, 'new.txt'));
  const names: string[] = [];
  const listing = await root.readDirectory();
  for (let e = await listing.readDirectoryEntry(); e; e = await listing.readDirectoryEntry())
    names.push(`${e.type}:${e.name}`);
  assert.deepEqual(names.sort(), ['directory:sub', 'regular-file:hello.txt', 'regular-file:new.txt']);
});

test('host errors become WASI error codes', async () => {
  const { mount } = hostTree();
  const { root, fs } = preopen(mount, false);
  await throwsCode(() => root.openAt(noFollow, 'missing.txt', {}, readFlags), 'no-entry');
  await throwsCode(() => root.createDirectoryAt('sub'), 'exist');
  await throwsCode(() => root.openAt(noFollow, 'hello.txt', { directory: true }, readFlags), 'not-directory');
  await throwsCode(() => root.openAt(noFollow, 'sub', {}, { read: true, write: true }), 'is-directory');
  await throwsCode(() => root.unlinkFileAt('sub'), 'is-directory', 'not-permitted');
  await throwsCode(() => root.unlinkFileAt('hello.txt/'), 'not-directory');
  writeFileSync(join(mount, 'sub', 'x'), '');
  await throwsCode(() => root.removeDirectoryAt('sub'), 'not-empty');
  await throwsCode(() => root.removeDirectoryAt('.'), 'invalid');
  await throwsCode(() => root.statAt(noFollow, ''), 'no-entry');
  symlinkSync('loop', join(mount, 'loop'));
  await throwsCode(() => root.statAt(follow, 'loop'), 'loop');
  const file = await root.openAt(noFollow, 'hello.txt', {}, readFlags);
  await throwsCode(() => file.write(new Uint8Array([1]), 0n), 'bad-descriptor');
  await throwsCode(() => file.openAt(noFollow, 'x', {}, readFlags), 'not-directory');
  const types = fs.types as { filesystemErrorCode(e: unknown): ErrorCode | undefined };
  assert.equal(types.filesystemErrorCode(new IoError('EIO: i/o error', { filesystem: 'io' })), 'io');
  assert.equal(
    types.filesystemErrorCode(new IoError('connection reset', { http: { tag: 'connection-terminated' } })),
    undefined,
  );
});

test('dispose closes what the instance left open', async () => {
  const { mount } = hostTree();
  const fs = filesystemImports(preparePreopens([{ hostPath: mount, guestPath: '/', readOnly: true }]));
  const [[root] = []] = (
    fs.preopens as unknown as { getDirectories(): Array<[Descriptor, string]> }
  ).getDirectories();
  assert.ok(root);
  const file = await root.openAt(noFollow, 'hello.txt', {}, readFlags);
  fs.dispose();
  await throwsCode(() => file.read(1n, 0n), 'bad-descriptor');
  await throwsCode(() => root.statAt(noFollow, 'hello.txt'), 'bad-descriptor');
});

test('after a reset (everything closed) the instance opens files again; an open under way is not kept', async () => {
  const { mount } = hostTree();
  const fs = filesystemImports(preparePreopens([{ hostPath: mount, guestPath: '/', readOnly: true }]));
  after(() => fs.dispose());
  const preopens = fs.preopens as unknown as { getDirectories(): Array<[Descriptor, string]> };
  const [[before] = []] = preopens.getDirectories();
  assert.ok(before);
  const opening = before.openAt(noFollow, 'hello.txt', {}, readFlags);
  fs.dispose();
  await throwsCode(() => opening, 'bad-descriptor');
  const [[root] = []] = preopens.getDirectories();
  assert.ok(root);
  assert.equal(await readAll(root, 'hello.txt'), 'hello');
});

test('renames racing a lookup never let it through a symlink out of the mount', async () => {
  // `a/secret.txt` is inside; `sub/up` -> `..` is harmless where it is, but renamed to `a` it
  // would make `a/secret.txt` the file beside the mount. Resolution and open take several steps
  // in the thread pool: the namespace lock keeps the renames from landing in between.
  const { mount } = hostTree();
  mkdirSync(join(mount, 'a'));
  writeFileSync(join(mount, 'a', 'secret.txt'), 'inside');
  writeFileSync(join(mount, '..', 'secret.txt'), 'SECRET');
  symlinkSync('..', join(mount, 'sub', 'up'));
  const { root } = preopen(mount, false);
  let stop = false;
  const attacker = (async () => {
    while (!stop) {
      await root.renameAt('a', root, 'a-real');
      await root.renameAt('sub/up', root, 'a');
      await new Promise((resolve) => setImmediate(resolve));
      await root.renameAt('a', root, 'sub/up');
      await root.renameAt('a-real', root, 'a');
    }
  })();
  const seen = new Set<string>();
  const victims = Array.from({ length: 4 }, async () => {
    for (let i = 0; i < 300; i++) {
      try {
        seen.add(await readAll(root, 'a/secret.txt'));
      } catch (e) {
        seen.add(String((e as { payload?: unknown }).payload ?? e));
      }
    }
  });
  await Promise.all(victims);
  stop = true;
  await attacker;
  assert.ok(!seen.has('SECRET'), `a lookup went out of the mount: ${[...seen].join(', ')}`);
  assert.ok(seen.has('inside'), [...seen].join(', '));
});
