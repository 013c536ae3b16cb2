/**
 * Outbound requests carry what the guest meant and nothing of the host's own hop (issue #8): Host
 * is always the authority the guest asked for, and hop-by-hop headers and proxy credentials never
 * pass — whether the guest forwards its incoming headers by hand (responder) or through a public
 * SDK's naive proxy (wstd).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { writeTestApp } from '../support/app-manifest.ts';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

let upstream: Server;
let upstreamUrl: string;
let seen: Array<{ headers: IncomingHttpHeaders; raw: string[]; body: string }> = [];
let skiff: SkiffProcess;

before(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      seen.push({ headers: req.headers, raw: req.rawHeaders, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`upstream got ${body.length} bytes`);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const granted = [`allowed_outbound_hosts = ["${upstreamUrl}"]`];
  const manifest = await writeTestApp('outbound-headers', {
    responder: { source: 'fixtures/rust/responder/responder.wasm', settings: granted },
    wstd: { source: 'fixtures/rust/wstd-guest/wstd-guest.wasm', settings: granted },
  });
  skiff = await startSkiffUp(['--from', manifest]);
});
after(async () => {
  await skiff.stop();
  upstream.close();
});

/** What a client sends that must not travel on: its Host, hop-by-hop headers, proxy credentials. */
const CLIENT_HEADERS = {
  'x-custom': 'kept',
  'proxy-authorization': 'Basic c2VjcmV0',
  te: 'trailers',
  'keep-alive': 'timeout=99',
  connection: 'keep-alive, x-custom-hop',
};

/** node:http, not fetch: undici refuses to send the hop-by-hop headers this test needs to send. */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${skiff.url}${path}`,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function assertCleanHop(headers: IncomingHttpHeaders, raw: string[]) {
  const hosts = raw.filter((_, i) => i % 2 === 0 && raw[i]?.toLowerCase() === 'host');
  assert.equal(hosts.length, 1, `exactly one Host: ${JSON.stringify(raw)}`);
  assert.equal(headers.host, new URL(upstreamUrl).host, 'Host is the authority the guest asked for');
  assert.equal(headers['x-custom'], 'kept');
  assert.equal(headers['proxy-authorization'], undefined);
  assert.equal(headers.te, undefined);
  assert.equal(headers['keep-alive'], undefined);
  // Node's client manages its own connection (keep-alive is the host's hop, not the guest's).
  assert.ok([undefined, 'keep-alive', 'close'].includes(headers.connection), String(headers.connection));
}

test('a guest forwarding its incoming headers by hand sends the right Host and no hop-by-hop header; none is refused', async () => {
  seen = [];
  const res = await send(`/responder/forward?to=${encodeURIComponent(`${upstreamUrl}/x`)}`, {
    headers: CLIENT_HEADERS,
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers['x-refused'], '', 'the guest was never handed a header it may not set');
  assert.equal(res.text, 'upstream got 0 bytes');
  const [hop] = seen;
  assert.ok(hop);
  assertCleanHop(hop.headers, hop.raw);
});

test("the wstd SDK's naive proxy (method, all headers, body) works, with the right Host upstream", async () => {
  seen = [];
  const res = await send(`/wstd/proxy?to=${encodeURIComponent(`${upstreamUrl}/y`)}`, {
    method: 'POST',
    headers: CLIENT_HEADERS,
    body: 'x'.repeat(10_000),
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, 'upstream got 10000 bytes');
  const [hop] = seen;
  assert.ok(hop);
  assertCleanHop(hop.headers, hop.raw);
  assert.equal(hop.body.length, 10_000);
});

test("a client's Host does not travel upstream through a forwarding guest", async () => {
  seen = [];
  const res = await send(`/responder/forward?to=${encodeURIComponent(`${upstreamUrl}/z`)}`, {
    headers: { host: 'evil.example' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(seen[0]?.headers.host, new URL(upstreamUrl).host);
});

test('a forwarded content-length with no body to back it is refused at once, not sent to hang the upstream', async () => {
  seen = [];
  const started = performance.now();
  // The responder copies the incoming headers (content-length: 5 among them) onto a bodiless GET.
  const res = await send(`/responder/forward?to=${encodeURIComponent(`${upstreamUrl}/w`)}`, {
    method: 'POST',
    body: 'hello',
  });
  assert.equal(res.status, 502);
  assert.equal(res.text, 'outbound failed: ErrorCode::HttpRequestBodySize(Some(0))\n');
  assert.ok(performance.now() - started < 2000, 'answered at once');
  assert.equal(seen.length, 0, 'the upstream was never contacted');
  await skiff.waitForOutput(/refused: it declares content-length: 5 but its body was never taken/);
});
