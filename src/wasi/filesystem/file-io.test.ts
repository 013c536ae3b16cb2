/**
 * File streams do their I/O in the thread pool: a non-blocking read starts a read and answers with
 * what has arrived, bytes read ahead are not handed out after a write, a write is queued within
 * check-write's window and lands before anything else the descriptor does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Descriptor, filesystemImports, preparePreopens } from './index.ts';

const folder = mkdtempSync(join(tmpdir(), 'skiff-file-io-'));
after(() => rmSync(folder, { recursive: true, force: true }));

let files = 0;
async function open(content: string | Buffer): Promise<{ file: Descriptor; path: string }> {
  const name = `f${files++}`;
  const path = join(folder, name);
  writeFileSync(path, content);
  const fs = filesystemImports(preparePreopens([{ hostPath: folder, guestPath: '/', readOnly: false }]));
  after(() => fs.dispose());
  const [[root] = []] = (
    fs.preopens as unknown as { getDirectories(): Array<[Descriptor, string]> }
  ).getDirectories();
  assert.ok(root);
  return { file: await root.openAt({}, name, {}, { read: true, write: true }), path };
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

test('a non-blocking read starts a read and returns nothing yet; the pollable is ready once it is in', async () => {
  const { file } = await open('hello world');
  const stream = file.readViaStream(0n);
  assert.equal(stream.read(5n).length, 0, 'nothing has been read yet');
  const ready = stream.subscribe();
  assert.equal(ready.ready(), false);
  await ready.block();
  assert.equal(text(stream.read(5n)), 'hello');
  assert.equal(text(stream.read(100n)), ' world', 'the rest of what was read ahead');
  assert.equal(text(await stream.blockingRead(100n).catch(() => new Uint8Array())), '', 'then the end');
});

test('blocking-read reads what the guest asks for in one go, at least 64 KiB, and the rest is served after', async () => {
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const { file } = await open(big);
  const stream = file.readViaStream(10n);
  const first = await stream.blockingRead(200_000n);
  assert.equal(first.length, 200_000);
  const small = await stream.blockingRead(8n);
  assert.equal(small.length, 8);
  const chunks = [first, small];
  for (;;) {
    try {
      chunks.push(await stream.blockingRead(8192n));
    } catch {
      break;
    }
  }
  assert.ok(Buffer.concat(chunks).equals(big.subarray(10)));
});

test('bytes read ahead are read again after a write, so the guest reads back what it wrote', async () => {
  const { file } = await open('aaaaaaaaaa');
  const stream = file.readViaStream(0n);
  assert.equal(text(await stream.blockingRead(2n)), 'aa');
  await file.write(new TextEncoder().encode('BBBB'), 2n);
  assert.equal(text(await stream.blockingRead(4n)), 'BBBB');
  assert.equal(text(await stream.blockingRead(100n)), 'aaaa');
});

test('writes are queued up to check-write, land in order, and come before any later call', async () => {
  const { file, path } = await open('');
  const out = file.writeViaStream(0n);
  const window = out.checkWrite();
  assert.ok(window >= 4096n);
  out.write(new TextEncoder().encode('one '));
  out.write(new TextEncoder().encode('two '));
  assert.equal(out.checkWrite(), window - 8n, 'queued bytes count against the window');
  // The descriptor's own read waits for the stream's writes.
  const [bytes] = await file.read(100n, 0n);
  assert.equal(text(bytes), 'one two ');
  out.write(new TextEncoder().encode('three'));
  await out.blockingFlush();
  assert.equal(readFileSync(path, 'utf8'), 'one two three');
  assert.equal(out.checkWrite(), window);
  assert.throws(
    () => out.write(new Uint8Array(Number(window) + 1)),
    (e: unknown) => (e as Error).name === 'GuestContractError',
    'more than check-write allows traps',
  );
});

test('a write stream whose descriptor is gone fails its next call, with the filesystem code', async () => {
  const { file } = await open('');
  const out = file.writeViaStream(0n);
  file[Symbol.dispose]();
  assert.throws(
    () => out.write(new Uint8Array([1])),
    (e: unknown) => (e as { payload?: { tag?: string } }).payload?.tag === 'last-operation-failed',
  );
});
