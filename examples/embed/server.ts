// A Node server that runs an untrusted plugin on every request, sandboxed by Skiff: the plugin sees
// no environment, files or network, and a call that runs past 50 ms is stopped (503) while the
// server goes on answering. `skiff types plugin.wasm -o plugin.d.ts` wrote the plugin's types.
//
//   node examples/embed/server.ts [PLUGIN.wasm]      (in the repo: after `npm run build`)
import { createServer } from 'node:http';
import { ComponentCallError, loadComponent } from 'skiff-wasm';
import type { Exports } from './plugin.d.ts';

const file = process.argv[2] ?? new URL('../../fixtures/rust/plugin/plugin.wasm', import.meta.url).pathname;
const plugin = await loadComponent<Exports>(file, { timeout: '50ms', maxMemory: '32MiB' });

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/spin') await plugin.exports.api.spin(); // loops forever: stopped at 50 ms
    const words = url.searchParams.getAll('word');
    const answer = words.length
      ? (await plugin.exports.api.sortWords(words)).join(' ')
      : await plugin.exports.api.greet(url.searchParams.get('name') ?? 'world');
    res.end(`${answer}\n`);
  } catch (e) {
    const status = e instanceof ComponentCallError && e.kind !== 'trap' ? 503 : 500;
    res.writeHead(status).end(`the plugin failed: ${(e as Error).message}\n`);
  }
});
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`Listening on http://127.0.0.1:${port}`);
});
process.once('SIGTERM', () => server.close(() => plugin.close()));
