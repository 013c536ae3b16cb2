/** Every HTTP fixture language, served by the real CLI over loopback: hello, echo, traps. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const LANGUAGES = ['js', 'c', 'rust'] as const;
/** JS exceptions are not Wasm traps; the trap fixtures are C and Rust. */
const TRAPPING = new Set(['c', 'rust']);

for (const lang of LANGUAGES) {
  describe(`${lang} guests`, () => {
    let hello: SkiffProcess;
    let echo: SkiffProcess;
    before(async () => {
      [hello, echo] = await Promise.all([
        startSkiffUp(['--component', `fixtures/${lang}/hello/hello.wasm`]),
        startSkiffUp(['--component', `fixtures/${lang}/echo/echo.wasm`, '--route', '/echo/...']),
      ]);
    });
    after(async () => {
      await Promise.all([hello?.stop(), echo?.stop()]);
    });

    test('hello answers 200 with its greeting', async () => {
      const res = await fetch(`${hello.url}/anything`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain');
      assert.equal(await res.text(), `hello from ${lang}\n`);
    });

    test('echo reflects method, path, headers and body', async () => {
      const res = await fetch(`${echo.url}/echo/a/b?x=1`, {
        method: 'PUT',
        headers: { 'x-test': 'value-1', 'content-type': 'application/json' },
        body: '{"hi":true}',
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-echo-method'), 'PUT');
      assert.equal(res.headers.get('x-echo-path'), '/echo/a/b?x=1');
      assert.equal(res.headers.get('x-echo-header-x-test'), 'value-1');
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(await res.text(), '{"hi":true}');
    });

    test('the guest sees the route headers, and clients cannot spoof them', async () => {
      const res = await fetch(`${echo.url}/echo/deep/path`, {
        headers: { 'skiff-matched-route': '/forged' },
      });
      assert.equal(res.headers.get('x-echo-header-skiff-matched-route'), '/echo/...');
      assert.equal(res.headers.get('x-echo-header-skiff-path-info'), '/deep/path');
      assert.equal(res.headers.get('x-echo-header-skiff-full-url'), `${echo.url}/echo/deep/path`);
      assert.match(res.headers.get('x-echo-header-skiff-client-addr') ?? '', /^127\.0\.0\.1:\d+$/);
      await res.arrayBuffer();
    });

    test('a route that matches nothing is a 404', async () => {
      const res = await fetch(`${echo.url}/elsewhere`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /no route matches \/elsewhere/);
    });

    if (TRAPPING.has(lang)) {
      test('a trap is a 500 for that request, logged with a backtrace, and the next request is served', async () => {
        const trapped = await fetch(`${hello.url}/trap`);
        assert.equal(trapped.status, 500);
        await trapped.text();
        const next = await fetch(`${hello.url}/`);
        assert.equal(next.status, 200);
        assert.equal(await next.text(), `hello from ${lang}\n`);
        await hello.waitForOutput(/request \d+ \(GET \/trap\) trapped/);
        await hello.waitForOutput(/RuntimeError: .*unreachable/);
        await hello.waitForOutput(/guest backtrace:\n\s+at .*wasm/);
      });
    }
  });
}
