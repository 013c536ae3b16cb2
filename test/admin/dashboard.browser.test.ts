/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against
 * the admin listener of a real `skiff up --from examples/hello`. It sees the routes, sends traffic
 * and sees the numbers and charts move without a reload, opens a request, a trace and a flame graph.
 *
 * Screenshots of every step go to .artifacts/dashboard/ (gitignored). With
 * SKIFF_DASHBOARD_README_SHOT=1 the test also runs a minute of varied traffic and rewrites the
 * README's docs/dashboard.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REPO, type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO, '.artifacts', 'dashboard');
const README_SHOT = process.env.SKIFF_DASHBOARD_README_SHOT === '1';
/** Down to the component cards: the part of the page a README reader should see. */
const README_SHOT_HEIGHT = 1180;
/** The longest any one wait for the page may take: the machine is shared and has two cores. */
const WAIT_MS = 30_000;
/**
 * Flags for Chromium on a machine with no network: without the background-networking ones it
 * keeps trying to reach Google's hosts. --no-sandbox because CI runs as root.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser;

before(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the dashboard's browser test needs Chromium at ${CHROMIUM}, and it is not there. Install it with ` +
        '`sudo apt-get install -y chromium` (.ci/run does), or set CHROMIUM_PATH to a Chromium binary.',
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(() => browser?.close());

async function startServer(extra: string[] = []): Promise<{ server: SkiffProcess; admin: string }> {
  const server = await startSkiffUp(['--from', 'examples/hello', '--admin-listen', '127.0.0.1:0', ...extra]);
  // Printed with the Serving block; with a token the line goes on to say that one is required.
  await server.waitForOutput(/^Admin http:\/\/\S+/m, 10_000);
  const admin = /^Admin (http:\/\/\S+)/m.exec(server.stdout())?.[1] as string;
  return { server, admin: admin.replace(/\/$/, '') };
}

/**
 * Requests from the test to the app until stopped, bounded in time whatever happens. `pauseMs`
 * leaves room between requests (the server, Chromium and the test share two cores) and shapes
 * the rate.
 */
function startTraffic(
  base: string,
  requests: Array<{ path: string; method?: string; body?: string }>,
  pauseMs: () => number = () => 3,
) {
  let stopped = false;
  let sent = 0;
  const errors: string[] = [];
  const deadline = performance.now() + 120_000;
  const loop = async (offset: number) => {
    for (let i = offset; !stopped && performance.now() < deadline && errors.length < 10; i++) {
      const { path, method = 'GET', body } = requests[i % requests.length] as (typeof requests)[number];
      try {
        await (await fetch(`${base}${path}`, { method, body })).arrayBuffer();
        sent++;
      } catch (error) {
        errors.push(String(error));
      }
      await delay(pauseMs());
    }
  };
  const loops = [loop(0), loop(1)];
  return {
    sent: () => sent,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      assert.deepEqual(errors, [], 'every request of the traffic got an answer');
    },
  };
}

const HELLO_TRAFFIC = [
  { path: '/' },
  { path: '/js/hi' },
  { path: '/echo/x', method: 'POST', body: 'ping' },
  { path: '/?q=1' },
];

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The text of a `<dt>name</dt><dd>…</dd>` field inside `scope`. */
async function field(page: Page, scope: string, name: string): Promise<string> {
  return (await page.locator(`${scope} dt:text-is("${name}") + dd`).textContent()) ?? '';
}

/** The number a page element carries in `data-<name>`, or NaN. */
function dataNumber(page: Page, selector: string, name: string): Promise<number> {
  return page.$eval(selector, (element, key) => Number((element as HTMLElement).dataset[key]), name);
}

test('the dashboard shows the app, live charts, requests, traces and a flame graph', async (t) => {
  const { server, admin } = await startServer(['--workers', '2']);
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // A policy violation, a failed load or an exception in the page is a bug, even if nothing shows it.
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  let traffic: ReturnType<typeof startTraffic> | undefined;
  t.after(async () => {
    await traffic?.stop().catch(() => {});
    await page.close();
    await server.stop();
  });

  await t.test('the app, its routes and components', async () => {
    await page.goto(`${admin}/`);
    await page.waitForFunction(() => document.getElementById('app-name')?.textContent === 'hello', null, {
      timeout: WAIT_MS,
    });
    for (const route of ['/', '/js/...', '/echo/...'])
      await page.locator(`.route-card[data-route="${route}"]`).waitFor({ timeout: WAIT_MS });
    const components = await page.locator('.component-card h3').allTextContents();
    assert.deepEqual(components.sort(), ['echo-c', 'hello-js', 'hello-rust']);
    assert.match((await page.locator('#app-facts').textContent()) ?? '', /2 workers/);
    assert.equal(await field(page, '.component-card[data-component="hello-rust"]', 'timeout'), '30 s');
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('[data-testid="total-rps"]')?.dataset.value !== undefined,
      null,
      { timeout: WAIT_MS },
    );
    assert.equal(await dataNumber(page, '[data-testid="total-rps"]', 'value'), 0, 'no traffic yet');
    await shot(page, '01-opened');
  });

  await t.test("the dashboard's files: its own only, under a policy that runs no inline script", async () => {
    const index = await fetch(`${admin}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.equal(
      (await fetch(`${admin}/dashboard/main.js`)).headers.get('content-type'),
      'text/javascript; charset=utf-8',
    );
    for (const path of [
      '/dashboard/..%2fstatic.ts',
      '/dashboard/%2e%2e/server.ts',
      '/dashboard/nothing.js',
    ]) {
      const response = await fetch(`${admin}${path}`);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /import|export/, `${path} serves no source`);
    }
  });

  await t.test('traffic moves the req/s numbers and the charts, without a reload', async () => {
    // A reload would lose this mark: the page must update itself.
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
    traffic = startTraffic(server.url, HELLO_TRAFFIC);
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('[data-testid="total-rps"]')?.dataset.value) > 0,
      null,
      { timeout: WAIT_MS, polling: 100 },
    );
    await page.waitForFunction(
      () =>
        ['/', '/js/...', '/echo/...'].every(
          (route) =>
            Number(document.querySelector<HTMLElement>(`.route-card[data-route="${route}"]`)?.dataset.rps) >
            0,
        ),
      null,
      { timeout: WAIT_MS, polling: 100 },
    );
    assert.ok((await dataNumber(page, '[data-testid="rps-chart"]', 'max')) > 0, 'the req/s chart has a peak');
    const lineCount = await page.locator('[data-testid="rps-chart"] path.line').count();
    assert.ok(lineCount >= 3, `a line per route in the req/s chart, got ${lineCount}`);
    assert.match(
      (await page.locator('.route-card[data-route="/"] .route-numbers').textContent()) ?? '',
      /p50 \d/,
    );
    assert.equal(await page.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce), true);
    await shot(page, '02-traffic');
  });

  await t.test('a recent request opens with its details', async () => {
    const row = page.locator('table.requests tbody tr', { hasText: 'hello-rust' }).first();
    await row.waitFor({ timeout: WAIT_MS });
    await row.click();
    const detail = page.locator('.request-detail');
    await detail.waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match((await detail.locator('h3').textContent()) ?? '', /^GET \//);
    assert.equal(await field(page, '.request-detail', 'component'), 'hello-rust');
    assert.equal(await field(page, '.request-detail', 'status'), '200');
    assert.match(await field(page, '.request-detail', 'guest CPU'), /^\d+(\.\d+)? ms$/);
    await shot(page, '03-request');
  });

  await t.test('guest log lines arrive live and the filter box narrows them', async () => {
    // Quiet, so that the marked request stays among the recent ones while the page looks for it.
    await traffic?.stop();
    // The Rust guest prints `hello: GET <target>` for every request.
    await (await fetch(`${server.url}/?mark=dashboard-log-test`)).arrayBuffer();
    const line = page.locator('#logs .log-line', { hasText: 'hello: GET /?mark=dashboard-log-test' });
    await line.waitFor({ timeout: WAIT_MS });
    assert.equal(await line.locator('.log-component').textContent(), 'hello-rust');
    assert.equal(await line.locator('.log-level').textContent(), 'info');
    await page.locator('.log-filter').fill('log-test');
    await page.waitForFunction(
      () => {
        const shown = [...document.querySelectorAll('#logs .log-line')];
        return shown.length > 0 && shown.every((li) => li.textContent?.includes('dashboard-log-test'));
      },
      null,
      { timeout: WAIT_MS },
    );
    await page.locator('.log-filter').fill('');
  });

  await t.test("a request's trace opens as a waterfall, its attributes shown as text", async () => {
    // The User-Agent reaches the trace's attributes as the client wrote it: markup must stay text.
    const agent = '<img src=x onerror="window.injected=1"><b>bold</b>';
    await (
      await fetch(`${server.url}/?mark=dashboard-trace-test`, { headers: { 'user-agent': agent } })
    ).arrayBuffer();
    const row = page.locator('table.requests tbody tr', { hasText: '/?mark=dashboard-trace-test' });
    await row.locator('button', { hasText: 'trace' }).click({ timeout: WAIT_MS });
    const spans = page.locator('.waterfall .span-row');
    await spans.first().waitFor({ timeout: WAIT_MS });
    assert.ok((await spans.count()) >= 2, 'the request span and its children');
    assert.match((await spans.allTextContents()).join('\n'), /guest call hello-rust/);
    await spans.first().click();
    assert.equal(await field(page, '.span-attributes', 'user_agent.original'), agent);
    assert.equal(await field(page, '.span-attributes', 'url.path'), '/');
    assert.equal(await page.locator('#traces img, #traces b').count(), 0, 'no element from the server');
    assert.equal(await page.evaluate(() => 'injected' in window), false);
    await shot(page, '04-trace');
  });

  await t.test('Profile shows a flame graph with the guest function names', async () => {
    traffic = startTraffic(server.url, HELLO_TRAFFIC);
    await page.selectOption('select[aria-label="Seconds to profile hello-rust"]', '5');
    await page.locator('.profile-button[data-component="hello-rust"]').click();
    await page.locator('#profile[data-state="running"] .spinner').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator('.profile-button[data-component="echo-c"]').isDisabled(), true);
    await page.locator('#profile[data-state="done"]').waitFor({ timeout: WAIT_MS });
    const graph = page.frameLocator('iframe.flame-frame');
    // The guest's export, in every sample of it, and functions of its Rust source, demangled.
    await graph
      .getByText(/incoming-handler@0\.2\.\d+#handle/)
      .first()
      .waitFor({ timeout: WAIT_MS });
    await graph
      .getByText(/^(hello|core|std|alloc)::/)
      .first()
      .waitFor({ timeout: WAIT_MS });
    await shot(page, '05-flame-graph');
  });

  if (README_SHOT)
    await t.test('the README screenshot, after a minute of varied traffic', async () => {
      await traffic?.stop();
      const started = performance.now();
      // The rate rises and falls in 20-second waves, so that the charts have a shape to show.
      const wave = () => 2 + 10 * (1 + Math.sin(((performance.now() - started) / 20_000) * 2 * Math.PI));
      traffic = startTraffic(server.url, HELLO_TRAFFIC, wave);
      await page.locator('#profile button.close').click();
      await page.mouse.move(0, 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      // Not a wait for a condition: the picture needs a minute of history in the charts.
      await delay(62_000);
      await page.setViewportSize({ width: 1440, height: README_SHOT_HEIGHT });
      await page.screenshot({ path: join(REPO, 'docs', 'dashboard.png') });
    });

  await traffic?.stop();
  assert.deepEqual(pageErrors, [], 'the page logged no error');
});

test('with a token, the page asks for it, then keeps it out of the address bar', async (t) => {
  const token = 'dashboard-test-token-0123456789';
  const { server, admin } = await startServer(['--admin-token', token]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  t.after(async () => {
    await page.close();
    await server.stop();
  });

  await page.goto(`${admin}/`);
  const banner = page.locator('#banner[data-kind="auth"]');
  await banner.waitFor({ timeout: WAIT_MS });
  assert.match((await banner.textContent()) ?? '', /The admin listener needs a token\..*--admin-token/);
  assert.equal(await page.locator('#connection').getAttribute('data-status'), 'auth');
  await shot(page, '06-token-asked');

  // A wrong token typed into the banner is refused too.
  await banner.locator('input').fill('not-the-token-at-all');
  await banner.locator('button').click();
  await page
    .locator('#banner[data-kind="auth"]', { hasText: 'refused this token' })
    .waitFor({ timeout: WAIT_MS });

  await page.goto(`${admin}/?token=${token}`);
  await page.waitForFunction(() => document.getElementById('app-name')?.textContent === 'hello', null, {
    timeout: WAIT_MS,
  });
  assert.equal(new URL(page.url()).search, '', 'the token is taken out of the address bar');
  assert.equal(await page.locator('#banner').isHidden(), true);
  // Kept for the tab: a reload without it in the address still works.
  await page.reload();
  await page.waitForFunction(() => document.getElementById('app-name')?.textContent === 'hello', null, {
    timeout: WAIT_MS,
  });
  assert.equal((await page.content()).includes(token), false, 'the token is never shown in the page');
});
