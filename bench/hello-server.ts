/**
 * The baseline: a plain `node:http` hello world, one process, answering with the same status,
 * content-type and body as the guest it is compared with. Prints `Serving http://HOST:PORT` like
 * `skiff up`, so the harness starts both the same way.
 *
 *   node bench/hello-server.ts [--listen 127.0.0.1:0] [--body 'hello from c\n'] [--sleep]
 *
 * `--sleep` is the reference for the memory benchmark: each request waits `?ms=N` (default 1000)
 * on a timer, then answers `slept Nms`, as the sleep guest does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:0' },
    body: { type: 'string', default: 'hello from c\n' },
    sleep: { type: 'boolean', default: false },
  },
});
const [host = '127.0.0.1', port = '0'] = values.listen.split(/:(?=\d+$)/);
// `--body 'hello\n'` arrives with a literal backslash-n from most shells.
const body = values.body.replace(/\\n/g, '\n');

const server = createServer((req, res) => {
  if (!values.sleep) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
    return;
  }
  const ms = Number(new URL(req.url ?? '/', 'http://host').searchParams.get('ms') ?? 1000);
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`slept ${ms}ms\n`);
  }, ms);
});
server.listen(Number(port), host, () => {
  const address = server.address() as AddressInfo;
  process.stdout.write(`Serving http://${address.address}:${address.port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
