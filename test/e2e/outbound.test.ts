/** Outbound HTTP is denied unless granted, and works (streamed, real sockets) when it is. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startSkiffUp } from '../support/skiff-process.ts';

let upstream: Server;
let upstreamUrl: string;
let upstreamHits = 0;

before(async () => {
  upstream = createServer((_req, res) => {
    upstreamHits++;
    res.writeHead(201, { 'content-type': 'text/plain' }).end('upstream says hi');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(() => upstream.close());

test('a destination that is not granted is denied before any connection is made', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/js/fetch/fetch.wasm']);
  try {
    const hitsBefore = upstreamHits;
    const res = await fetch(`${skiff.url}/?url=${encodeURIComponent(`${upstreamUrl}/x`)}`);
    assert.equal(res.status, 502);
    assert.match(await res.text(), /^fetch failed/);
    assert.equal(upstreamHits, hitsBefore, 'the upstream server must not be contacted');
    await skiff.waitForOutput(new RegExp(`denied: add "${upstreamUrl}" to allowed_outbound_hosts`));
  } finally {
    await skiff.stop();
  }
});

test('a granted destination is reached; the same host on another port is not', async () => {
  const skiff = await startSkiffUp([
    '--component',
    'fixtures/js/fetch/fetch.wasm',
    '--allow-outbound',
    upstreamUrl,
  ]);
  try {
    const res = await fetch(`${skiff.url}/?url=${encodeURIComponent(`${upstreamUrl}/x`)}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-upstream-status'), '201');
    assert.equal(await res.text(), 'upstream says hi');
    const otherPort = await fetch(`${skiff.url}/?url=${encodeURIComponent('http://127.0.0.1:1/')}`);
    assert.equal(otherPort.status, 502);
    await otherPort.text();
  } finally {
    await skiff.stop();
  }
});

test('a wildcard grant does not reach loopback, neither by address nor through DNS', async () => {
  const skiff = await startSkiffUp([
    '--component',
    'fixtures/js/fetch/fetch.wasm',
    '--allow-outbound',
    'http://*:*',
  ]);
  try {
    const port = new URL(upstreamUrl).port;
    const hitsBefore = upstreamHits;
    for (const target of [`http://127.0.0.1:${port}/x`, `http://localhost:${port}/x`]) {
      const res = await fetch(`${skiff.url}/?url=${encodeURIComponent(target)}`);
      assert.equal(res.status, 502, target);
      assert.match(await res.text(), /^fetch failed/);
    }
    assert.equal(upstreamHits, hitsBefore, 'the upstream server must not be contacted');
    await skiff.waitForOutput(
      /is 127\.0\.0\.1, a loopback, private or link-local address; grant it by address/,
    );
  } finally {
    await skiff.stop();
  }
});

test('a grant for localhost reaches the loopback server', async () => {
  const port = new URL(upstreamUrl).port;
  const skiff = await startSkiffUp([
    '--component',
    'fixtures/js/fetch/fetch.wasm',
    '--allow-outbound',
    `http://localhost:${port}`,
  ]);
  try {
    const res = await fetch(`${skiff.url}/?url=${encodeURIComponent(`http://localhost:${port}/x`)}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'upstream says hi');
  } finally {
    await skiff.stop();
  }
});
