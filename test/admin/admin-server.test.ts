/**
 * The admin listener: where it listens and what `skiff up` prints, the token rule, its answers to
 * unknown paths and wrong methods, and that a worker that does not answer cannot hang it. The
 * routing rules run in this process against a real listener; the rest against real `skiff up`s.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { addAdminRoute, type RunningAdminServer, startAdminServer } from '../../src/admin/server.ts';
import { COLLECT_TIMEOUT_MS, registerAdminSource } from '../../src/admin/sources.ts';
import { VERSION } from '../../src/cli/help.ts';
import { runSkiff, type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const TOKEN = 'test-admin-token-0123456789abcdef';

/** A request with any Host and headers (fetch would not let a test set Host). */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('routing, in this process', () => {
  let open: RunningAdminServer;
  let guarded: RunningAdminServer;
  const cleanups: Array<() => void> = [];

  before(async () => {
    cleanups.push(
      registerAdminSource({ name: 'requests', collect: () => [{ time: 1 }, { time: 3 }] }),
      registerAdminSource({
        name: 'stats',
        collect: () => Promise.reject(new Error('the stats are broken')),
      }),
      addAdminRoute('POST', '/api/test-action', (_req, res) => {
        res.end('done');
      }),
    );
    open = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      token: undefined,
      workers: 1,
      askWorkers: false,
    });
    guarded = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      workers: 1,
      askWorkers: false,
    });
  });

  after(async () => {
    for (const cleanup of cleanups) cleanup();
    await Promise.all([open.close(), guarded.close()]);
  });

  test('an unknown path gets 404 naming the routes there are; a wrong method 405 with Allow', async () => {
    const missing = await send(`${open.url}/api/nothing`);
    assert.equal(missing.status, 404);
    assert.match(
      missing.body,
      /^No admin route \/api\/nothing; there are: .*\/api\/requests.*\/api\/test-action.*\/metrics/,
    );
    const wrong = await send(`${open.url}/api/requests`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET');
    assert.equal(wrong.body, '/api/requests answers GET, not DELETE\n');
    const head = await send(`${open.url}/api/requests`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('a source answers as JSON, merged newest first; a failing source is a 500 with its reason', async () => {
    const answer = await send(`${open.url}/api/requests`);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.deepEqual(JSON.parse(answer.body), [{ time: 3 }, { time: 1 }]);
    const broken = await send(`${open.url}/api/stats`);
    assert.equal(broken.status, 500);
    assert.match(broken.body, /the stats are broken/);
    const unregistered = await send(`${open.url}/api/overview`);
    assert.equal(unregistered.status, 404);
    assert.match(unregistered.body, /no admin source named "overview"/);
  });

  test('without a token, only requests addressed to a loopback name are answered (DNS rebinding)', async () => {
    const port = new URL(open.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
      assert.equal((await send(`${open.url}/api/requests`, { headers: { host } })).status, 200, host);
    const rebound = await send(`${open.url}/api/requests`, { headers: { host: `attacker.example:${port}` } });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /only requests addressed to a loopback name.*Host: attacker\.example/);
  });

  test('a POST from another origin is refused; from the page itself it goes through', async () => {
    const foreign = await send(`${open.url}/api/test-action`, {
      method: 'POST',
      headers: { origin: 'https://attacker.example' },
    });
    assert.equal(foreign.status, 403);
    assert.match(foreign.body, /refused from another origin \(https:\/\/attacker\.example\)/);
    const own = await send(`${open.url}/api/test-action`, { method: 'POST', headers: { origin: open.url } });
    assert.equal(own.status, 200);
    assert.equal(own.body, 'done');
  });

  test('with a token, every API request must carry it; the dashboard files (no data) load without', async () => {
    const without = await send(`${guarded.url}/api/requests`);
    assert.equal(without.status, 401);
    assert.equal(without.headers['www-authenticate'], 'Bearer');
    assert.match(without.body, /needs its token: send Authorization: Bearer TOKEN/);
    assert.ok(!without.body.includes(TOKEN));
    const wrong = await send(`${guarded.url}/api/requests`, {
      headers: { authorization: `Bearer ${TOKEN}x` },
    });
    assert.equal(wrong.status, 401);
    const right = await send(`${guarded.url}/api/requests`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(right.status, 200);
    const page = await send(`${guarded.url}/`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
  });
});

/** Direct children of `pid`: the cluster's workers. */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return children;
}

describe('skiff up --workers 2 on examples/hello', () => {
  let server: SkiffProcess;
  before(async () => {
    server = await startSkiffUp(['--from', 'examples/hello', '--workers', '2']);
  });
  after(() => server?.stop());

  test('prints Admin http://127.0.0.1:PORT on the line right after the Serving block', () => {
    assert.match(
      server.stdout(),
      /^Serving http:\/\/127\.0\.0\.1:\d+\n {2}\/ -> hello-rust\n {2}\/js\/\.\.\. -> hello-js\n {2}\/echo\/\.\.\. -> echo-c\nAdmin http:\/\/127\.0\.0\.1:\d+\n/,
    );
    assert.notEqual(server.adminUrl, server.url);
  });

  test('/api/overview describes the app, its routes and components with their limits, for the whole server', async () => {
    const overview = (await (await fetch(`${server.adminUrl}/api/overview`)).json()) as Record<
      string,
      unknown
    >;
    const components = overview.components as Array<Record<string, unknown>>;
    assert.deepEqual(
      { ...overview, startedAt: typeof overview.startedAt, components: components.map((c) => c.id) },
      {
        app: 'hello',
        version: VERSION,
        pid: server.child.pid,
        startedAt: 'string',
        workers: 2,
        routes: [
          { route: '/', component: 'hello-rust' },
          { route: '/js/...', component: 'hello-js' },
          { route: '/echo/...', component: 'echo-c' },
        ],
        components: ['hello-rust', 'hello-js', 'echo-c'],
      },
    );
    assert.ok(Date.now() - Date.parse(overview.startedAt as string) < 120_000);
    const rust = components[0] as Record<string, unknown>;
    assert.deepEqual(
      { ...rust, instances: undefined },
      {
        id: 'hello-rust',
        source: 'fixtures/rust/hello/hello.wasm',
        lifecycle: 'fresh',
        limits: { timeoutMs: 30_000, maxCpuMs: 5_000, maxMemoryBytes: 128 * 2 ** 20, maxConcurrent: 2048 },
        instances: undefined,
      },
    );
  });

  test('a worker that does not answer (stopped) delays the API by the collect timeout, not forever', async () => {
    const [stopped] = childPids(server.child.pid as number);
    assert.ok(stopped, 'the cluster has workers');
    process.kill(stopped, 'SIGSTOP');
    try {
      const started = performance.now();
      const response = await fetch(`${server.adminUrl}/api/overview`);
      const ms = performance.now() - started;
      assert.equal(response.status, 200);
      const { components } = (await response.json()) as { components: Array<{ id: string }> };
      assert.equal(components.length, 3, 'the other worker answered');
      assert.ok(ms >= COLLECT_TIMEOUT_MS - 100 && ms < COLLECT_TIMEOUT_MS + 2000, `answered after ${ms} ms`);
    } finally {
      process.kill(stopped, 'SIGCONT');
    }
  });
});

describe('the token rule and --admin-listen', () => {
  test('a non-loopback address without a token: skiff up refuses to start, saying how to fix it', async () => {
    const { code, stdout, stderr } = await runSkiff(
      [
        'up',
        '--component',
        'fixtures/c/hello/hello.wasm',
        '--listen',
        '127.0.0.1:0',
        '--workers',
        '1',
        '--admin-listen',
        '0.0.0.0:0',
      ],
      { env: { SKIFF_ADMIN_TOKEN: '' } },
    ).done;
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(
      stderr,
      /^error: --admin-listen 0\.0\.0\.0:0 is not a loopback address, .*set a token in SKIFF_ADMIN_TOKEN \(or pass --admin-token\).*or keep it on loopback with --admin-listen 127\.0\.0\.1:0\n$/,
    );
  });

  test('with a token it listens there, says the token is required, and answers 401 without it', async () => {
    const server = await startSkiffUp(
      ['--component', 'fixtures/c/hello/hello.wasm', '--admin-listen', '0.0.0.0:0'],
      {
        env: { SKIFF_ADMIN_TOKEN: TOKEN },
      },
    );
    try {
      assert.match(
        server.stdout(),
        /\nAdmin http:\/\/0\.0\.0\.0:\d+\n {2}requires the admin token \(--admin-token or SKIFF_ADMIN_TOKEN\)/,
      );
      assert.ok(
        !server.stdout().includes(TOKEN) && !server.stderr().includes(TOKEN),
        'the token is never printed',
      );
      const local = (server.adminUrl as string).replace('0.0.0.0', '127.0.0.1');
      assert.equal((await fetch(`${local}/metrics`)).status, 401);
      const metrics = await fetch(`${local}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^# HELP skiff_http_requests_total /m);
    } finally {
      await server.stop();
    }
  });

  test('--admin-listen off: no admin listener and no Admin line', async () => {
    const server = await startSkiffUp([
      '--component',
      'fixtures/c/hello/hello.wasm',
      '--admin-listen',
      'off',
    ]);
    try {
      assert.equal(server.adminUrl, undefined);
      assert.doesNotMatch(server.stdout(), /Admin/);
      assert.equal((await fetch(`${server.url}/`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('bad values are usage errors (exit 2) that say what is expected', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--admin-listen', 'loopback'],
        /--admin-listen loopback: expected HOST:PORT \(e\.g\. 127\.0\.0\.1:9090; port 0 picks a free one\) or off/,
      ],
      [
        ['--admin-token', 'short'],
        /--admin-token: the admin token must be at least 16 characters; make one with: openssl rand -hex 24/,
      ],
      [
        ['--admin-listen', 'off', '--admin-token', TOKEN],
        /--admin-token goes with an admin listener, and --admin-listen off turns it off/,
      ],
    ];
    for (const [flags, message] of cases) {
      const { code, stderr } = await runSkiff(['up', '--component', 'fixtures/c/hello/hello.wasm', ...flags])
        .done;
      assert.equal(code, 2, flags.join(' '));
      assert.match(stderr, message);
    }
  });
});
