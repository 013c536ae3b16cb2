/** The example app `npm start` serves: a manifest with three languages, routes, health, shutdown. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { test } from 'node:test';
import { startSkiffUp } from '../support/skiff-process.ts';

test('examples/hello serves every route from its manifest (on all cores, as `npm start` does)', async () => {
  const skiff = await startSkiffUp(['--from', 'examples/hello'], { allCores: true });
  try {
    await skiff.waitForOutput(
      /^Serving http:\/\/127\.0\.0\.1:\d+\n {2}\/ -> hello-rust\n {2}\/js\/\.\.\. -> hello-js\n {2}\/echo\/\.\.\. -> echo-c\n/,
    );
    const root = await fetch(`${skiff.url}/`);
    assert.equal(await root.text(), 'hello from rust\n');
    const js = await fetch(`${skiff.url}/js/deeper/path`);
    assert.equal(await js.text(), 'hello from js\n');
    const echo = await fetch(`${skiff.url}/echo/x`, { method: 'POST', body: 'ping' });
    assert.equal(echo.headers.get('x-echo-header-skiff-matched-route'), '/echo/...');
    assert.equal(await echo.text(), 'ping');
    const health = await fetch(`${skiff.url}/.well-known/skiff/health`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    const missing = await fetch(`${skiff.url}/nope`);
    assert.equal(missing.status, 404);
    await missing.text();
  } finally {
    await skiff.stop();
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} lets an in-flight request finish, then exits 0`, async () => {
    const skiff = await startSkiffUp(['--from', 'examples/hello'], { allCores: true });
    const url = new URL(`${skiff.url}/echo/slow`);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST' });
    const responded = once(req, 'response');
    req.write('first half, ');
    // Let the request reach the guest before asking the server to stop.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = once(skiff.child, 'exit');
    skiff.child.kill(signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    req.end('second half');
    const [res] = (await responded) as [import('node:http').IncomingMessage];
    let body = '';
    for await (const chunk of res) body += chunk;
    assert.equal(res.statusCode, 200);
    assert.equal(body, 'first half, second half');
    const [code] = await exited;
    assert.equal(code, 0);
    const refused = await fetch(`${skiff.url}/`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(refused, 'refused');
  });
}
