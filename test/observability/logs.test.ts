/**
 * The host's log of real requests: `--log-format json` gives one JSON object per line (the ready
 * block aside) with the request id, component, route, status, wall and CPU time; a guest's stdout
 * and stderr lines carry the id of the request they were written for; the admin listener keeps
 * the last lines; and no line is lost when the server is stopped right after a burst, although
 * lines go out asynchronously in batches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const HELLO = 'fixtures/c/hello/hello.wasm';
const RESPONDER = 'fixtures/rust/responder/responder.wasm';

/** The lines `skiff up` prints first, in either format: the ready block. */
const READY_BLOCK = /^(Serving http:\/\/\S+| {2}\S+ -> \S+|Admin http:\/\/\S+)$/;

interface LogLine {
  level: string;
  time: number;
  pid: number;
  msg: string;
  component?: string;
  requestId?: number;
  guest?: boolean;
  route?: string;
  method?: string;
  target?: string;
  status?: number;
  outcome?: string;
  wallMs?: number;
  cpuMs?: number;
  trap?: string;
}

/** Every stdout line but the ready block, parsed: a line that is not JSON fails the test. */
function jsonLines(server: SkiffProcess): LogLine[] {
  return server
    .stdout()
    .split('\n')
    .filter((line) => line !== '' && !READY_BLOCK.test(line))
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON line: ${JSON.stringify(line)}`);
      }
    });
}

async function waitForLines(server: SkiffProcess, ready: (lines: LogLine[]) => boolean): Promise<LogLine[]> {
  const until = performance.now() + 5000;
  for (;;) {
    const lines = jsonLines(server);
    if (ready(lines)) return lines;
    if (performance.now() > until) throw new Error(`expected lines did not come; got:\n${server.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('JSON lines: request lines with id, component, route, status, wall and CPU; guest lines with their request id', async () => {
  const server = await startSkiffUp([
    '--component',
    HELLO,
    '--route',
    '/hello/...',
    '--log-format',
    'json',
    '--log-requests',
  ]);
  try {
    const response = await fetch(`${server.url}/hello/a?b=1`);
    assert.equal(response.status, 200);
    await response.text();
    const lines = await waitForLines(server, (all) => all.some((l) => l.status !== undefined));
    const request = lines.find((l) => l.status !== undefined) as LogLine;
    assert.equal(request.level, 'info');
    assert.equal(request.component, 'hello');
    assert.equal(request.route, '/hello/...');
    assert.equal(request.method, 'GET');
    assert.equal(request.target, '/hello/a?b=1');
    assert.equal(request.status, 200);
    assert.equal(request.outcome, 'ok');
    assert.equal(typeof request.requestId, 'number');
    assert.ok((request.wallMs ?? 0) > 0 && (request.cpuMs ?? 0) > 0, JSON.stringify(request));
    assert.ok(request.wallMs !== undefined && request.cpuMs !== undefined && request.cpuMs <= request.wallMs);
    assert.equal(request.msg, 'GET /hello/a?b=1 200');
    assert.ok(Math.abs(request.time - Date.now()) < 60_000);
    // The C guest's stdout line, written for that request.
    const guest = lines.find((l) => l.guest);
    assert.deepEqual(
      { component: guest?.component, requestId: guest?.requestId, msg: guest?.msg, level: guest?.level },
      { component: 'hello', requestId: request.requestId, msg: 'hello: GET /hello/a?b=1', level: 'info' },
    );
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('a guest stderr line and a trap carry the same request id as their request line; the admin listener keeps them', async () => {
  const server = await startSkiffUp(['--component', RESPONDER, '--log-format', 'json', '--log-requests']);
  try {
    // Three requests first, so that the id to find is not simply the first.
    for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/respond?body=ok`)).text();
    // The guest writes the body, then panics: its message goes to stderr, then it traps.
    const response = await fetch(`${server.url}/respond?body=partial&end=trap`);
    await response.text().catch(() => {});
    const lines = await waitForLines(server, (all) => all.some((l) => l.target?.includes('end=trap')));
    const request = lines.find((l) => l.target === '/respond?body=partial&end=trap') as LogLine;
    assert.equal(request.outcome, 'trap');
    const id = request.requestId;
    assert.notEqual(id, undefined);
    const panic = lines.find((l) => l.guest && l.msg.includes('trap after body'));
    assert.ok(panic, `no guest line with the panic in:\n${server.stdout()}`);
    assert.equal(panic.requestId, id);
    assert.equal(panic.component, 'responder');
    const trap = lines.find((l) => l.trap !== undefined);
    assert.equal(trap?.requestId, id);
    assert.equal(trap?.level, 'error');
    assert.match(trap?.trap ?? '', /unreachable/);

    const recent = (await (await fetch(`${server.adminUrl}/api/logs`)).json()) as LogLine[];
    const kept = recent.find((l) => l.msg.includes('trap after body'));
    assert.equal(kept?.requestId, id);
    assert.equal(kept?.component, 'responder');
    assert.ok(
      recent.every((l, i) => i === 0 || (recent[i - 1] as LogLine).time >= l.time),
      'newest first',
    );
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

/** `count` requests, `parallel` at a time. */
async function burst(url: string, count: number, parallel: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const response = await fetch(`${url}/burst/${i}`);
        assert.equal(response.status, 200);
        await response.text();
      }
    }),
  );
}

for (const workers of ['1', '2']) {
  test(`no line is lost when the server gets SIGTERM right after a burst (${workers} worker${workers === '1' ? '' : 's'})`, async () => {
    const server = await startSkiffUp([
      '--component',
      HELLO,
      '--log-format',
      'json',
      '--log-requests',
      '--workers',
      workers,
      '--admin-listen',
      'off',
    ]);
    const count = 400;
    await burst(server.url, count, 16);
    // At once: the last lines are still in the buffer or in flight.
    assert.equal(await server.stop('SIGTERM'), 0);
    const lines = jsonLines(server);
    const guest = new Set(lines.filter((l) => l.guest).map((l) => l.msg));
    const requests = new Set(lines.filter((l) => l.status === 200).map((l) => l.target));
    for (let i = 0; i < count; i++) {
      assert.ok(guest.has(`hello: GET /burst/${i}`), `guest line of request ${i} missing`);
      assert.ok(requests.has(`/burst/${i}`), `request line of request ${i} missing`);
    }
    assert.equal(lines.length, 2 * count, 'one guest line and one request line per request, nothing else');
  });
}

test('--log-format pretty keeps the text lines', async () => {
  const server = await startSkiffUp(['--component', HELLO, '--log-format', 'pretty', '--log-requests']);
  try {
    await (await fetch(`${server.url}/p`)).text();
    await (await fetch(`${server.url}/trap`)).text();
    await server.waitForOutput(/^\[hello\] request 2 GET \/trap 500 wall \d+\.\d ms cpu \d+\.\d ms$/m);
    assert.match(server.stdout(), /^\[hello\] hello: GET \/p$/m);
    assert.match(server.stdout(), /^\[hello\] request 1 GET \/p 200 wall \d+\.\d ms cpu \d+\.\d ms$/m);
    assert.match(
      server.stderr(),
      /^error: \[hello\] request 2 \(GET \/trap\) trapped:\n {2}RuntimeError: unreachable$/m,
    );
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
