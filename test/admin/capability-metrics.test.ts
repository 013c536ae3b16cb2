/**
 * The metrics of what guests ask the host for, from real guests through `skiff up --workers 2`:
 * key-value operations (the visitor counter on SQLite) and outbound HTTP requests (the JS fetch
 * guest against a server this test runs, and against a port where nothing listens).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { writeTestApp } from '../support/app-manifest.ts';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';
import { parsePrometheusText, type Sample, sampleValue } from './prometheus-text.ts';

let upstream: Server;
let upstreamUrl: string;
let server: SkiffProcess;

before(async () => {
  upstream = createServer((_req, res) => res.writeHead(201, { 'content-type': 'text/plain' }).end('hi'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const manifest = await writeTestApp('capabilities', {
    visitors: {
      source: 'fixtures/rust/visitors/visitors.wasm',
      settings: ['key_value_stores = ["default"]'],
    },
    fetch: {
      source: 'fixtures/js/fetch/fetch.wasm',
      settings: ['allowed_outbound_hosts = ["http://127.0.0.1:*"]'],
    },
  });
  server = await startSkiffUp(['--from', manifest, '--workers', '2']);
});

after(async () => {
  await server?.stop();
  upstream?.close();
});

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`${server.adminUrl}/metrics`);
  assert.equal(response.status, 200);
  return parsePrometheusText(await response.text());
}

test('key-value operations are counted by component, store and operation', async () => {
  for (const method of ['POST', 'POST', 'GET']) {
    const response = await fetch(`${server.url}/visitors/api/visitors`, { method });
    assert.equal(response.status, 200, await response.clone().text());
    await response.text();
  }
  const samples = (await scrape()).filter(
    (s) => s.name === 'skiff_key_value_operations_total' && s.labels.component === 'visitors',
  );
  assert.ok(samples.length > 0, 'the visitor counter used its store');
  for (const s of samples) assert.equal(s.labels.store, 'default');
  // Each request opens the store, then increments (POST) or reads (GET) the counter.
  assert.deepEqual(Object.fromEntries(samples.map((s) => [s.labels.operation, s.value])), {
    open: 3,
    increment: 2,
    get: 1,
  });
});

test('outbound requests are counted by the status that came back, "error" when none did', async () => {
  const reached = await fetch(`${server.url}/fetch/?url=${encodeURIComponent(`${upstreamUrl}/x`)}`);
  assert.equal(reached.status, 200);
  assert.equal(reached.headers.get('x-upstream-status'), '201');
  await reached.text();
  const refused = await fetch(`${server.url}/fetch/?url=${encodeURIComponent('http://127.0.0.1:1/')}`);
  assert.equal(refused.status, 502);
  await refused.text();
  const samples = await scrape();
  assert.equal(
    sampleValue(samples, 'skiff_outbound_requests_total', { component: 'fetch', status: '201' }),
    1,
  );
  assert.equal(
    sampleValue(samples, 'skiff_outbound_requests_total', { component: 'fetch', status: 'error' }),
    1,
  );
});
