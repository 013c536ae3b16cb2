/**
 * /metrics and the JSON API of a real `skiff up --workers 2`: real requests (answered, unrouted,
 * trapped, timed out, over their CPU, too large, shed), then the numbers the admin listener shows
 * must be exactly what was sent, summed over both workers.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { writeTestApp } from '../support/app-manifest.ts';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';
import { parsePrometheusText, type Sample, sampleValue } from './prometheus-text.ts';

let server: SkiffProcess;
let admin: string;

interface Answer {
  status: number;
  body: string;
  /** The connection broke before the whole response arrived (a guest that trapped mid-body). */
  broken: boolean;
}

/** One request on its own connection (so the kernel may hand it to either worker). */
function send(method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, broken: false }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: text, broken: true }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, body: text, broken: true }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function adminJson<T>(path: string): Promise<T> {
  const response = await fetch(`${admin}${path}`);
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return (await response.json()) as T;
}

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`${admin}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await response.text());
}

interface RecentRequest {
  time: number;
  id: number;
  worker: number;
  method: string;
  target: string;
  route?: string;
  component?: string;
  status: number;
  outcome: string;
  wallMs: number;
  cpuMs: number;
}

/** What the client saw, to compare with what the server counted. */
const sent = { hello: 0, concurrencyShed: 0, concurrencyServed: 0 };

before(async () => {
  const manifest = await writeTestApp('metrics', {
    hello: { source: 'fixtures/rust/hello/hello.wasm' },
    echo: { source: 'fixtures/c/echo/echo.wasm' },
    hostile: { source: 'fixtures/rust/hostile/hostile.wasm', settings: ['timeout = "300ms"'] },
    spinner: { source: 'fixtures/rust/hostile/hostile.wasm', settings: ['max_cpu = "50ms"'] },
    sleep: { source: 'fixtures/rust/sleep/sleep.wasm', settings: ['max_concurrent = 1'] },
  });
  server = await startSkiffUp(['--from', manifest, '--workers', '2', '--max-body', '1KiB']);
  assert.ok(server.adminUrl, `no Admin line in:\n${server.stdout()}`);
  admin = server.adminUrl;

  // Batches of parallel connections until both workers have answered some: the sums below are then
  // really over two processes.
  for (let batch = 0; batch < 20; batch++) {
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('GET', '/hello/')));
    for (const a of answers) assert.equal(a.status, 200, a.body);
    sent.hello += answers.length;
    const recent = await adminJson<RecentRequest[]>('/api/requests');
    const workers = new Set(recent.filter((r) => r.component === 'hello').map((r) => r.worker));
    if (workers.size === 2) break;
  }
  assert.equal((await send('POST', '/echo/x', 'ping')).status, 200);
  assert.equal((await send('GET', '/nope')).status, 404);
  const trapped = await send('GET', '/hostile/trap-after-headers');
  assert.ok(trapped.broken || !trapped.body.endsWith('\n'), 'the trap cut the response short');
  assert.equal((await send('GET', '/hostile/loop')).status, 504);
  assert.equal((await send('GET', '/spinner/loop')).status, 503);
  assert.equal((await send('POST', '/echo/big', 'x'.repeat(2048))).status, 413);
  // Three at once to a component that takes one at a time per worker: one or two are shed.
  const shed = await Promise.all(Array.from({ length: 3 }, () => send('GET', '/sleep/?ms=400')));
  sent.concurrencyShed = shed.filter((a) => a.status === 503).length;
  sent.concurrencyServed = shed.filter((a) => a.status === 200).length;
  assert.equal(sent.concurrencyShed + sent.concurrencyServed, 3, JSON.stringify(shed));
  assert.ok(sent.concurrencyShed >= 1);
});

after(() => server?.stop());

test('both workers served the requests, and /api/requests lists the last ones newest first', async () => {
  const recent = await adminJson<RecentRequest[]>('/api/requests');
  assert.deepEqual(
    new Set(recent.filter((r) => r.component === 'hello').map((r) => r.worker)),
    new Set([1, 2]),
  );
  for (let i = 1; i < recent.length; i++)
    assert.ok((recent[i - 1] as RecentRequest).time >= (recent[i] as RecentRequest).time, 'newest first');
  const newest = recent[0] as RecentRequest;
  assert.equal(newest.route, '/sleep/...');
  const notFound = recent.find((r) => r.target === '/nope');
  assert.deepEqual(
    notFound && {
      method: notFound.method,
      status: notFound.status,
      outcome: notFound.outcome,
      route: notFound.route,
    },
    { method: 'GET', status: 404, outcome: 'not-found', route: undefined },
  );
  const trap = recent.find((r) => r.target === '/hostile/trap-after-headers');
  assert.equal(trap?.outcome, 'trap');
  assert.equal(trap?.status, 200, 'the head had gone out before the trap');
  const timeout = recent.find((r) => r.target === '/hostile/loop');
  assert.equal(timeout?.outcome, 'timeout');
  assert.ok((timeout?.wallMs ?? 0) >= 300, `timed out after ${timeout?.wallMs} ms`);
  const cpu = recent.find((r) => r.target === '/spinner/loop');
  assert.equal(cpu?.outcome, 'cpu-limit');
  assert.ok((cpu?.cpuMs ?? 0) >= 50, `stopped after ${cpu?.cpuMs} ms of CPU`);
  assert.equal(recent.filter((r) => r.component === 'hello').length, sent.hello);
});

test('/metrics counts every request by app, component, route, status and outcome, summed over the workers', async () => {
  const samples = await scrape();
  const requests = (labels: Record<string, string>) =>
    sampleValue(samples, 'skiff_http_requests_total', { app: 'metrics', ...labels });
  assert.equal(
    requests({ component: 'hello', route: '/hello/...', status: '200', outcome: 'ok' }),
    sent.hello,
  );
  assert.equal(requests({ component: 'echo', route: '/echo/...', status: '200', outcome: 'ok' }), 1);
  assert.equal(requests({ component: '', route: '', status: '404', outcome: 'not-found' }), 1);
  assert.equal(requests({ component: 'hostile', route: '/hostile/...', status: '200', outcome: 'trap' }), 1);
  assert.equal(
    requests({ component: 'hostile', route: '/hostile/...', status: '504', outcome: 'timeout' }),
    1,
  );
  assert.equal(
    requests({ component: 'spinner', route: '/spinner/...', status: '503', outcome: 'cpu-limit' }),
    1,
  );
  assert.equal(requests({ component: 'echo', route: '/echo/...', status: '413', outcome: 'body-limit' }), 1);
  assert.equal(
    requests({ component: 'sleep', route: '/sleep/...', status: '503', outcome: 'concurrency-limit' }),
    sent.concurrencyShed,
  );
  const total = samples
    .filter((s) => s.name === 'skiff_http_requests_total')
    .reduce((n, s) => n + s.value, 0);
  assert.equal(total, sent.hello + 9, 'nothing else was counted');

  const limit = (component: string, limit: string) =>
    sampleValue(samples, 'skiff_limit_hits_total', { component, limit });
  assert.equal(limit('hostile', 'timeout'), 1);
  assert.equal(limit('spinner', 'cpu'), 1);
  assert.equal(limit('echo', 'body'), 1);
  assert.equal(limit('sleep', 'concurrency'), sent.concurrencyShed);
  assert.equal(limit('hello', 'timeout'), 0, 'known series start at zero');
  assert.equal(sampleValue(samples, 'skiff_guest_traps_total', { component: 'hostile' }), 1);
  assert.equal(sampleValue(samples, 'skiff_guest_traps_total', { component: 'hello' }), 0);
});

test('latency and guest CPU histograms count each request once, in consistent buckets', async () => {
  const samples = await scrape();
  const helloLabels = { app: 'metrics', component: 'hello', route: '/hello/...' };
  const count = sampleValue(samples, 'skiff_http_request_duration_seconds_count', helloLabels);
  assert.equal(count, sent.hello);
  assert.equal(
    sampleValue(samples, 'skiff_http_request_duration_seconds_bucket', { le: '+Inf', ...helloLabels }),
    count,
  );
  const buckets = samples
    .filter((s) => s.name === 'skiff_http_request_duration_seconds_bucket' && s.labels.component === 'hello')
    .map((s) => s.value);
  for (let i = 1; i < buckets.length; i++)
    assert.ok((buckets[i] as number) >= (buckets[i - 1] as number), 'cumulative');
  const timeoutSeconds = sampleValue(samples, 'skiff_http_request_duration_seconds_sum', {
    app: 'metrics',
    component: 'hostile',
    route: '/hostile/...',
  });
  assert.ok(timeoutSeconds >= 0.3, `the timed-out request took ${timeoutSeconds} s`);
  assert.equal(
    sampleValue(samples, 'skiff_guest_cpu_seconds_count', { app: 'metrics', component: 'hello' }),
    sent.hello,
  );
  // Only requests a guest ran for: not the 413 that the host answered alone.
  assert.equal(
    sampleValue(samples, 'skiff_guest_cpu_seconds_count', { app: 'metrics', component: 'echo' }),
    1,
  );
  const spinnerCpu = sampleValue(samples, 'skiff_guest_cpu_seconds_sum', {
    app: 'metrics',
    component: 'spinner',
  });
  assert.ok(spinnerCpu >= 0.05 && spinnerCpu < 1, `the spinner used ${spinnerCpu} s of CPU`);
});

test('instances: creation and reset times, and the live idle/busy gauges of both workers', async () => {
  const samples = await scrape();
  // Each worker makes at least one instance of every component (pre-warmed, then one per request
  // that could not be reset), and resets one after each clean request.
  for (const component of ['hello', 'echo', 'hostile', 'spinner', 'sleep'])
    assert.ok(
      sampleValue(samples, 'skiff_instance_create_duration_seconds_count', { component }) >= 2,
      component,
    );
  assert.ok(sampleValue(samples, 'skiff_instance_reset_duration_seconds_count', { component: 'hello' }) >= 1);
  const overview = await adminJson<{
    components: Array<{ id: string; instances: { idle: number; busy: number } }>;
  }>('/api/overview');
  for (const { id, instances } of overview.components) {
    assert.equal(instances.busy, 0, id);
    assert.equal(sampleValue(samples, 'skiff_instances', { component: id, state: 'busy' }), 0);
    // Both workers pre-warm: the sum is at least two.
    assert.ok(instances.idle >= 2, `${id}: ${instances.idle} idle`);
  }
  // prom-client's process metrics, summed over the workers.
  assert.ok(sampleValue(samples, 'process_cpu_seconds_total') > 0);
  assert.ok(sampleValue(samples, 'nodejs_heap_size_used_bytes') > 0);
});

test('/api/stats: per-route one-second buckets over five minutes with p50 and p99, merged over the workers', async () => {
  const stats = await adminJson<{
    now: number;
    bucketMs: number;
    routes: Array<{
      route: string;
      component: string;
      points: Array<{
        t: number;
        requests: number;
        errors: number;
        p50Ms: number | null;
        p99Ms: number | null;
      }>;
    }>;
  }>('/api/stats');
  assert.equal(stats.bucketMs, 1000);
  assert.deepEqual(
    stats.routes.map((r) => [r.route, r.component]),
    [
      ['/echo/...', 'echo'],
      ['/hello/...', 'hello'],
      ['/hostile/...', 'hostile'],
      ['/sleep/...', 'sleep'],
      ['/spinner/...', 'spinner'],
    ],
  );
  const sum = (route: string, field: 'requests' | 'errors') =>
    stats.routes.find((r) => r.route === route)?.points.reduce((n, p) => n + p[field], 0);
  for (const { points } of stats.routes) {
    assert.equal(points.length, 300);
    assert.ok((points.at(-1)?.t ?? 0) <= stats.now && stats.now - (points.at(-1)?.t ?? 0) < 1000);
    for (const p of points) {
      if (p.requests === 0) assert.deepEqual([p.p50Ms, p.p99Ms], [null, null]);
      else assert.ok(p.p50Ms !== null && p.p99Ms !== null && p.p50Ms <= p.p99Ms && p.p50Ms > 0);
    }
  }
  assert.equal(sum('/hello/...', 'requests'), sent.hello);
  assert.equal(sum('/hello/...', 'errors'), 0);
  assert.equal(sum('/hostile/...', 'requests'), 2);
  assert.equal(sum('/hostile/...', 'errors'), 2, 'the trap and the timeout');
  assert.equal(sum('/spinner/...', 'errors'), 1);
  assert.equal(sum('/sleep/...', 'errors'), sent.concurrencyShed);
  const hostile = stats.routes.find((r) => r.route === '/hostile/...');
  const slowest = Math.max(...(hostile?.points.map((p) => p.p99Ms ?? 0) ?? []));
  // The timed-out request took at least 300 ms; the histogram's bins are within 4%.
  assert.ok(slowest >= 290 && slowest < 2000, `p99 of /hostile/... was ${slowest} ms`);
});
