/**
 * `wasi:filesystem@0.3` over the 0.2 host, on real files in a temp folder: the stream functions
 * (offsets, chunking, early drops, failures through the future), the directory stream, the error
 * and type variants, the flags `open-at` reports, and the sandbox through the 0.3 surface (`..`,
 * absolute paths and symlinks cannot leave a mount; a read-only mount refuses every change).
 * The WASI 0.3 conformance tests (filesystem-*.wasm) run the same host through real guests.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  FutureReader,
  type HostFuture,
  HostStream,
  StreamReader,
} from '../../engine/binding/canonical-abi/streams.ts';
import { hostBinding, hostInterfaceKey } from '../../engine/binding/link/host-functions.ts';
import { functionsOf, parseComponent } from '../../engine/binding/parse/index.ts';
import { SUITE_ROOT } from '../../engine/binding/parse/test-corpus.ts';
import { filesystemImports, preparePreopens } from '../filesystem/index.ts';
import type { ErrorCodeP3 } from '../shapes/p3.ts';
import {
  Descriptor,
  descriptorTypeP3,
  errorCodeP3,
  FilesystemErrorP3,
  filesystemImportsP3,
  type Outcome,
} from './filesystem.ts';

const scratch = mkdtempSync(join(tmpdir(), 'skiff-fs-p3-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
/** A fresh mount folder (beside a secret the guest must never reach) and its 0.3 root descriptor. */
function mount(files: Record<string, string> = {}, readOnly = false) {
  const outside = join(scratch, `case-${folders++}`);
  const host = join(outside, 'mount');
  mkdirSync(host, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(host, name), content);
  const v2 = filesystemImports(preparePreopens([{ hostPath: host, guestPath: '/', readOnly }]));
  const p3 = filesystemImportsP3(v2.preopens);
  const [[root, guestPath] = []] = p3.preopens.getDirectories() as Array<[Descriptor, string]>;
  assert.equal(guestPath, '/');
  return { host, outside, root: root as Descriptor, dispose: () => v2.dispose() };
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** The `err` code a 0.3 call fails with (thrown at once, or its promise rejected). */
async function codeOf(call: () => unknown): Promise<ErrorCodeP3> {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof FilesystemErrorP3, `expected an err result, got ${e}`);
    return e.payload;
  }
  assert.fail('expected an err result, the call succeeded');
}

async function outcome(future: HostFuture): Promise<Outcome> {
  const read = await new FutureReader(future).read();
  assert.ok('value' in read, 'the future was dropped unwritten');
  return read.value as Outcome;
}

/** Everything a host stream yields, as the guest would read it with a buffer of `max` values. */
async function drain(stream: HostStream, max = 65536): Promise<unknown[][] | Uint8Array[]> {
  const reader = new StreamReader(stream);
  const batches: Array<Uint8Array | unknown[]> = [];
  for (;;) {
    const batch = await reader.read(max);
    if (batch === undefined) return batches as unknown[][] | Uint8Array[];
    batches.push(batch);
  }
}

async function readAll(fd: Descriptor, offset: bigint, max?: number): Promise<[string, Outcome]> {
  const [stream, future] = fd.readViaStream(offset);
  const chunks = (await drain(stream, max)) as Uint8Array[];
  return [text(Buffer.concat(chunks)), await outcome(future)];
}

/** A `stream<u8>` the guest writes: these chunks, then its end. `dropped` tells whether the host let go. */
function guestStream(...chunks: string[]) {
  const queue = chunks.map((c) => new Uint8Array(Buffer.from(c)));
  const state = { dropped: false };
  const reader = new StreamReader(
    new HostStream(
      async () => queue.shift(),
      () => {
        state.dropped = true;
      },
    ),
  );
  return { reader, state };
}

const OK: Outcome = { tag: 'ok' };
const err = (tag: string): Outcome => ({ tag: 'err', val: { tag } as ErrorCodeP3 });

test('preopens: one root descriptor per mount, a directory readable and mutable unless read-only', () => {
  const rw = mount();
  assert.deepEqual(rw.root.getType(), { tag: 'directory' });
  assert.deepEqual(rw.root.getFlags(), { read: true, mutateDirectory: true });
  const ro = mount({}, true);
  assert.deepEqual(ro.root.getFlags(), { read: true, mutateDirectory: false });
});

test('read-via-stream reads from its offset to the end, then the future says ok', async () => {
  const { root } = mount({ 'a.txt': 'hello world' });
  const fd = await root.openAt({}, 'a.txt', {}, { read: true });
  assert.deepEqual(await readAll(fd, 0n), ['hello world', OK]);
  assert.deepEqual(await readAll(fd, 6n), ['world', OK]);
  assert.deepEqual(await readAll(fd, 11n), ['', OK]);
  assert.deepEqual(await readAll(fd, 1000n), ['', OK]);
  assert.deepEqual(await readAll(fd, 0n, 1), ['hello world', OK], 'one byte per guest read');
});

test('read-via-stream of a file larger than one chunk gives every byte once, in order', async () => {
  const big = Buffer.alloc(200_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
  const { root, host } = mount();
  writeFileSync(join(host, 'big.bin'), big);
  const fd = await root.openAt({}, 'big.bin', {}, {});
  const [stream, future] = fd.readViaStream(1000n);
  const chunks = (await drain(stream, 30_000)) as Uint8Array[];
  assert.ok(chunks.length > 2);
  assert.ok(Buffer.concat(chunks).equals(big.subarray(1000)));
  assert.deepEqual(await outcome(future), OK);
});

test('a guest that stops reading early drops the stream; the future still says ok', async () => {
  const { root } = mount({ 'a.txt': 'hello world' });
  const fd = await root.openAt({}, 'a.txt', {}, { read: true });
  const [stream, future] = fd.readViaStream(0n);
  const reader = new StreamReader(stream);
  assert.equal(text((await reader.read(1)) as Uint8Array), 'h');
  reader.close();
  assert.deepEqual(await outcome(future), OK);
});

test('read-via-stream failures end the stream at once and come back through the future', async () => {
  const { root } = mount({ 'a.txt': 'hello' });
  assert.deepEqual(await readAll(root, 0n), ['', err('is-directory')]);
  const writeOnly = await root.openAt({}, 'a.txt', {}, { write: true });
  assert.deepEqual(await readAll(writeOnly, 0n), ['', err('bad-descriptor')]);
  const fd = await root.openAt({}, 'a.txt', {}, { read: true });
  assert.deepEqual(await readAll(fd, 2n ** 64n - 1n), ['', err('invalid')], 'no offset beyond off_t');
  fd[Symbol.dispose]();
  assert.deepEqual(await readAll(fd, 0n), ['', err('bad-descriptor')], 'a dropped descriptor');
});

test('write-via-stream writes every chunk from its offset on, then says ok', async () => {
  const { root, host } = mount({ 'a.txt': 'hello world' });
  const fd = await root.openAt({}, 'a.txt', {}, { read: true, write: true });
  const { reader } = guestStream('W', 'ORL', 'D!');
  assert.deepEqual(await outcome(fd.writeViaStream(reader, 6n)), OK);
  assert.equal(readFileSync(join(host, 'a.txt'), 'utf8'), 'hello WORLD!');
  const past = guestStream('end');
  assert.deepEqual(await outcome(fd.writeViaStream(past.reader, 14n)), OK);
  assert.deepEqual(readFileSync(join(host, 'a.txt')), Buffer.from('hello WORLD!\0\0end'), 'a hole before it');
  assert.deepEqual(await outcome(fd.writeViaStream(guestStream().reader, 0n)), OK, 'an empty stream');
});

test('append-via-stream writes each chunk at the end the file has then', async () => {
  const { root, host } = mount({ 'log.txt': 'one\n' });
  const fd = await root.openAt({}, 'log.txt', {}, { write: true });
  const { reader } = guestStream('two\n', 'three\n');
  assert.deepEqual(await outcome(fd.appendViaStream(reader)), OK);
  assert.equal(readFileSync(join(host, 'log.txt'), 'utf8'), 'one\ntwo\nthree\n');
});

test('write streams to a descriptor that cannot write fail, and the host lets go of the stream', async () => {
  const { root, host } = mount({ 'a.txt': 'hello' });
  const readOnly = await root.openAt({}, 'a.txt', {}, { read: true });
  for (const write of [
    (s: StreamReader) => readOnly.writeViaStream(s, 0n),
    (s: StreamReader) => readOnly.appendViaStream(s),
    (s: StreamReader) => root.writeViaStream(s, 0n),
  ]) {
    const { reader, state } = guestStream('nope');
    const result = await outcome(write(reader));
    assert.equal(result.tag, 'err');
    assert.ok(state.dropped, 'the guest sees its stream dropped');
  }
  assert.deepEqual(
    await outcome(readOnly.writeViaStream(guestStream('x').reader, 0n)),
    err('bad-descriptor'),
  );
  assert.deepEqual(await outcome(root.writeViaStream(guestStream('x').reader, 0n)), err('is-directory'));
  const fd = await root.openAt({}, 'a.txt', {}, { write: true });
  assert.deepEqual(
    await outcome(fd.writeViaStream(guestStream('x').reader, 2n ** 53n)),
    err('file-too-large'),
  );
  assert.equal(readFileSync(join(host, 'a.txt'), 'utf8'), 'hello');
});

test('a write that fails midway reports the error and stops reading the guest stream', async () => {
  const { root, host } = mount({ 'a.txt': '' });
  const fd = await root.openAt({}, 'a.txt', {}, { write: true });
  const queue = [Buffer.from('first'), Buffer.from('second')];
  const state = { dropped: false };
  const reader = new StreamReader(
    new HostStream(
      async () => {
        const chunk = queue.shift();
        // The descriptor goes away between two chunks (the guest dropped it, say).
        if (queue.length === 0) fd[Symbol.dispose]();
        return chunk;
      },
      () => {
        state.dropped = true;
      },
    ),
  );
  assert.deepEqual(await outcome(fd.writeViaStream(reader, 0n)), err('bad-descriptor'));
  assert.ok(state.dropped);
  assert.equal(readFileSync(join(host, 'a.txt'), 'utf8'), 'first');
});

test('read-directory streams every entry with its type as a variant, in batches', async () => {
  const { root, host } = mount({ 'a.txt': 'a' });
  mkdirSync(join(host, 'sub'));
  symlinkSync('a.txt', join(host, 'link'));
  for (let i = 0; i < 150; i++) writeFileSync(join(host, `f${String(i).padStart(3, '0')}`), '');
  const [stream, future] = root.readDirectory();
  const batches = (await drain(stream, 40)) as Array<Array<{ type: unknown; name: string }>>;
  const entries = batches.flat().sort((x, y) => x.name.localeCompare(y.name));
  assert.equal(entries.length, 153);
  assert.ok(batches.every((b) => b.length <= 40));
  assert.deepEqual(entries.slice(0, 2), [
    { type: { tag: 'regular-file' }, name: 'a.txt' },
    { type: { tag: 'regular-file' }, name: 'f000' },
  ]);
  assert.deepEqual(
    entries.filter((e) => !e.name.startsWith('f')),
    [
      { type: { tag: 'regular-file' }, name: 'a.txt' },
      { type: { tag: 'symbolic-link' }, name: 'link' },
      { type: { tag: 'directory' }, name: 'sub' },
    ],
  );
  assert.deepEqual(await outcome(future), OK);
  assert.ok(!entries.some((e) => e.name === '.' || e.name === '..'));
});

test('read-directory of a file fails through the future; a listing dropped early ends ok', async () => {
  const { root } = mount({ 'a.txt': 'a', 'b.txt': 'b' });
  const file = await root.openAt({}, 'a.txt', {}, {});
  const [stream, future] = file.readDirectory();
  assert.deepEqual(await drain(stream), []);
  assert.deepEqual(await outcome(future), err('not-directory'));
  const [listing, done] = root.readDirectory();
  const reader = new StreamReader(listing);
  assert.equal(((await reader.read(1)) as unknown[]).length, 1);
  reader.close();
  assert.deepEqual(await outcome(done), OK);
});

test('errors are the 0.3 variant; 0.2-only cases map onto other', async () => {
  const { root } = mount({ 'a.txt': 'a' });
  assert.deepEqual(await codeOf(() => root.openAt({}, 'missing', {}, {})), { tag: 'no-entry' });
  assert.deepEqual(await codeOf(() => root.createDirectoryAt('a.txt')), { tag: 'exist' });
  assert.deepEqual(await codeOf(() => root.removeDirectoryAt('a.txt')), { tag: 'not-directory' });
  assert.deepEqual(await codeOf(() => root.statAt({}, '')), { tag: 'no-entry' });
  assert.deepEqual(errorCodeP3('would-block'), { tag: 'other', val: 'would-block' });
  assert.deepEqual(errorCodeP3('read-only'), { tag: 'read-only' });
  assert.deepEqual(descriptorTypeP3('unknown'), { tag: 'other', val: undefined });
  assert.deepEqual(descriptorTypeP3('fifo'), { tag: 'fifo' });
  // unlink(2) of a folder: 0.2 says invalid for `.`, 0.3 hosts say is-directory.
  assert.deepEqual(await codeOf(() => root.unlinkFileAt('.')), { tag: 'is-directory' });
});

test('stat and stat-at: variant types, sizes, timestamps as instants', async () => {
  const { root, host } = mount({ 'a.txt': 'hello' });
  symlinkSync('a.txt', join(host, 'link'));
  const stat = await root.statAt({}, 'a.txt');
  assert.deepEqual(stat.type, { tag: 'regular-file' });
  assert.equal(stat.size, 5n);
  assert.equal(stat.linkCount, 1n);
  assert.equal(typeof stat.dataModificationTimestamp?.seconds, 'bigint');
  assert.deepEqual((await root.statAt({}, 'link')).type, { tag: 'symbolic-link' });
  assert.deepEqual((await root.statAt({ symlinkFollow: true }, 'link')).type, { tag: 'regular-file' });
  assert.deepEqual((await root.stat()).type, { tag: 'directory' });
  await root.setTimesAt(
    {},
    'a.txt',
    { tag: 'timestamp', val: { seconds: 42n, nanoseconds: 0 } },
    { tag: 'no-change' },
  );
  assert.deepEqual((await root.statAt({}, 'a.txt')).dataAccessTimestamp, { seconds: 42n, nanoseconds: 0 });
  assert.equal(await root.readlinkAt('link'), 'a.txt');
});

test('open-at reports the flags 0.3 hosts do: no access is read, create and truncate write', async () => {
  const { root } = mount({ 'a.txt': 'a' });
  const flags = async (path: string, openFlags: object, descriptorFlags: object) =>
    (await root.openAt({}, path, openFlags, descriptorFlags)).getFlags();
  assert.deepEqual(await flags('a.txt', {}, {}), { read: true });
  assert.deepEqual(await flags('a.txt', {}, { write: true }), { write: true });
  assert.deepEqual(await flags('c', { create: true }, {}), { read: true, write: true });
  assert.deepEqual(await flags('d', { create: true }, { write: true }), { write: true });
  assert.deepEqual(await flags('a.txt', { truncate: true }, { read: true }), { read: true, write: true });
  assert.deepEqual(await flags('.', {}, {}), { read: true, mutateDirectory: false });
  assert.deepEqual(await codeOf(() => root.openAt({}, '.', {}, { write: true })), { tag: 'is-directory' });
  const created = await root.openAt({}, 'e', { create: true, exclusive: true }, {});
  assert.deepEqual(created.getType(), { tag: 'regular-file' });
  assert.deepEqual(await codeOf(() => root.openAt({}, 'e', { create: true, exclusive: true }, {})), {
    tag: 'exist',
  });
});

test('set-size, link, rename, is-same-object and metadata hashes go through to the file', async () => {
  const { root, host } = mount({ 'a.txt': 'hello', 'b.txt': 'b' });
  const fd = await root.openAt({}, 'a.txt', {}, { read: true, write: true });
  await fd.setSize(2n);
  assert.equal(readFileSync(join(host, 'a.txt'), 'utf8'), 'he');
  assert.deepEqual(await codeOf(() => fd.setSize(2n ** 64n - 1n)), { tag: 'invalid' });
  assert.deepEqual(
    await codeOf(async () => (await root.openAt({}, 'b.txt', {}, { read: true })).setSize(0n)),
    { tag: 'bad-descriptor' },
  );
  await root.linkAt({}, 'a.txt', root, 'c.txt');
  const c = await root.openAt({}, 'c.txt', {}, {});
  assert.ok(fd.isSameObject(c));
  assert.ok(!fd.isSameObject(root));
  assert.deepEqual(fd.metadataHash(), await root.metadataHashAt({}, 'c.txt'));
  assert.notDeepEqual(fd.metadataHash(), await root.metadataHashAt({}, 'b.txt'));
  await root.createDirectoryAt('sub');
  const sub = await root.openAt({}, 'sub', { directory: true }, { mutateDirectory: true });
  await root.renameAt('c.txt', sub, 'moved.txt');
  assert.ok(existsSync(join(host, 'sub', 'moved.txt')));
  await sub.unlinkFileAt('moved.txt');
  await root.removeDirectoryAt('sub');
  assert.deepEqual(readdirSync(host).sort(), ['a.txt', 'b.txt']);
  await fd.syncData();
  await fd.sync();
  fd.advise(0n, 0n, 'sequential');
  assert.deepEqual(await codeOf(() => root.advise(0n, 0n, 'normal')), { tag: 'bad-descriptor' });
});

test('sandbox: `..` and absolute paths cannot leave the folder a descriptor names', async () => {
  const { root } = mount({ 'a.txt': 'a' });
  await root.createDirectoryAt('child');
  const child = await root.openAt({}, 'child', { directory: true }, { mutateDirectory: true });
  const notPermitted = { tag: 'not-permitted' };
  for (const path of ['..', '../secret.txt', 'child/../../secret.txt', '/etc/passwd', '/']) {
    assert.deepEqual(await codeOf(() => root.openAt({}, path, {}, { read: true })), notPermitted, path);
    assert.deepEqual(await codeOf(() => root.statAt({}, path)), notPermitted, path);
  }
  assert.deepEqual(await codeOf(() => child.openAt({}, '../a.txt', {}, { read: true })), notPermitted);
  assert.deepEqual(await codeOf(() => child.createDirectoryAt('../escaped')), notPermitted);
  assert.deepEqual(await codeOf(() => root.createDirectoryAt('../escaped')), notPermitted);
  assert.deepEqual(await codeOf(() => root.renameAt('a.txt', root, '../stolen.txt')), notPermitted);
  assert.deepEqual(await codeOf(() => root.linkAt({}, 'a.txt', root, '../linked.txt')), notPermitted);
  assert.deepEqual(await codeOf(() => root.unlinkFileAt('../secret.txt')), notPermitted);
});

test('sandbox: symlinks that lead out of the mount are refused, however they are reached', async () => {
  const { root, host, outside } = mount({ 'a.txt': 'a' });
  symlinkSync('../secret.txt', join(host, 'relative-out'));
  symlinkSync(join(outside, 'secret.txt'), join(host, 'absolute-out'));
  symlinkSync('..', join(host, 'up'));
  const notPermitted = { tag: 'not-permitted' };
  for (const path of ['relative-out', 'absolute-out', 'up/secret.txt', 'up/mount/a.txt']) {
    assert.deepEqual(
      await codeOf(() => root.openAt({ symlinkFollow: true }, path, {}, { read: true })),
      notPermitted,
      path,
    );
    assert.deepEqual(await codeOf(() => root.statAt({ symlinkFollow: true }, path)), notPermitted, path);
  }
  assert.deepEqual(await codeOf(() => root.createDirectoryAt('up/escaped')), notPermitted);
  // Without symlink-follow the final link is opened as itself, which O_NOFOLLOW refuses.
  assert.equal((await codeOf(() => root.openAt({}, 'relative-out', {}, { read: true }))).tag, 'loop');
  // Nor can a guest make such a link.
  assert.deepEqual(await codeOf(() => root.symlinkAt('..', 'parent')), notPermitted);
  assert.deepEqual(await codeOf(() => root.symlinkAt('/etc/passwd', 'passwd')), notPermitted);
  assert.ok(!existsSync(join(host, 'parent')) && !existsSync(join(host, 'passwd')));
  const [stream, future] = root.readDirectory();
  const names = ((await drain(stream)) as Array<Array<{ name: string }>>).flat().map((e) => e.name);
  assert.deepEqual(names.sort(), ['a.txt', 'absolute-out', 'relative-out', 'up']);
  assert.deepEqual(await outcome(future), OK);
});

test('a read-only mount reads, and refuses every change through the 0.3 API', async () => {
  const { root, host } = mount({ 'a.txt': 'hello' }, true);
  const fd = await root.openAt({}, 'a.txt', {}, { read: true });
  assert.deepEqual(await readAll(fd, 1n), ['ello', OK]);
  const readOnly = { tag: 'read-only' };
  assert.deepEqual(await codeOf(() => root.openAt({}, 'a.txt', {}, { write: true })), readOnly);
  assert.deepEqual(await codeOf(() => root.openAt({}, 'new.txt', { create: true }, {})), readOnly);
  assert.deepEqual(await codeOf(() => root.openAt({}, 'a.txt', { truncate: true }, {})), readOnly);
  assert.deepEqual(await codeOf(() => root.createDirectoryAt('dir')), readOnly);
  assert.deepEqual(await codeOf(() => root.unlinkFileAt('a.txt')), readOnly);
  assert.deepEqual(await codeOf(() => root.renameAt('a.txt', root, 'b.txt')), readOnly);
  assert.deepEqual(await codeOf(() => root.linkAt({}, 'a.txt', root, 'b.txt')), readOnly);
  assert.deepEqual(await codeOf(() => root.symlinkAt('a.txt', 'b.txt')), readOnly);
  assert.deepEqual(await codeOf(() => fd.setTimes({ tag: 'now' }, { tag: 'now' })), readOnly);
  assert.deepEqual(
    await codeOf(() => root.setTimesAt({}, 'a.txt', { tag: 'now' }, { tag: 'now' })),
    readOnly,
  );
  const { reader, state } = guestStream('overwritten');
  assert.equal((await outcome(fd.writeViaStream(reader, 0n))).tag, 'err');
  assert.ok(state.dropped);
  assert.deepEqual(await outcome(fd.appendViaStream(guestStream('more').reader)), err('bad-descriptor'));
  assert.deepEqual(readdirSync(host), ['a.txt']);
  assert.equal(readFileSync(join(host, 'a.txt'), 'utf8'), 'hello');
});

test("disposing the instance's 0.2 filesystem closes its 0.3 descriptors too", async () => {
  const { root, dispose } = mount({ 'a.txt': 'a' });
  const fd = await root.openAt({}, 'a.txt', {}, {});
  dispose();
  assert.deepEqual(await codeOf(() => fd.stat()), { tag: 'bad-descriptor' });
  assert.deepEqual(await codeOf(() => root.statAt({}, 'a.txt')), { tag: 'bad-descriptor' });
  assert.ok(!fd.isSameObject(root));
});

test('every wasi:filesystem@0.3 function the conformance suite imports has a host member', async (t) => {
  const folder = join(SUITE_ROOT, 'rust', 'testsuite', 'wasm32-wasip3');
  if (!existsSync(folder)) return t.skip('the WASI conformance suite is not beside the repo');
  const host = {
    'wasi:filesystem/types@0.3': filesystemImportsP3({ getDirectories: () => [] }).types,
    'wasi:filesystem/preopens@0.3': filesystemImportsP3({ getDirectories: () => [] }).preopens,
  };
  const seen = new Set<string>();
  for (const file of readdirSync(folder).filter((f) => /^filesystem-.*\.wasm$/.test(f))) {
    const { world } = parseComponent(readFileSync(join(folder, file)));
    for (const { name, item } of world.imports) {
      if (item.kind !== 'instance' || !hostInterfaceKey(name).startsWith('wasi:filesystem/')) continue;
      for (const { name: func } of functionsOf(item.shape)) {
        seen.add(func);
        const binding = hostBinding(name, func);
        const call = binding.call;
        let member: unknown = binding.callee(host);
        if (call.kind === 'method') {
          const resource = /^\[method\]([^.]+)\./.exec(func)?.[1] ?? '';
          const cls = hostBinding(name, `[constructor]${resource}`).callee(host) as { prototype: object };
          assert.equal(cls, Descriptor, `${name}#${func}`);
          member = (cls.prototype as unknown as Record<string, unknown>)[call.name];
        } else if (call.kind === 'static') member = (member as Record<string, unknown>)[call.name];
        assert.equal(typeof member, 'function', `${name}#${func}`);
      }
    }
  }
  assert.ok(seen.has('[method]descriptor.read-via-stream') && seen.has('get-directories'));
});
