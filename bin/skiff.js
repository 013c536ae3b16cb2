#!/usr/bin/env node
// Skiff runs its TypeScript sources directly (Node's type stripping) and needs JSPI: Node 24+.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `skiff needs Node.js 24 or newer (this is ${process.version}).\n` +
      'Inside the repo, run it through npm (`npm start`, `npx skiff ...`), which uses the Node from node_modules.\n',
  );
  process.exit(1);
}
// V8's code cache for Skiff's own modules (type-stripped TypeScript): a start-up then skips
// compiling them again, about 340 → 110 ms to load the CLI. Kept beside Skiff's other caches.
const { enableCompileCache } = await import('node:module');
const { homedir } = await import('node:os');
const cacheRoot =
  process.env.SKIFF_CACHE_DIR || `${process.env.XDG_CACHE_HOME || `${homedir()}/.cache`}/skiff`;
enableCompileCache(`${cacheRoot}/node-compile-cache`);
const { main } = await import('../src/cli/main.ts');
// Exit once the command is done, even if a guest stopped at its timeout left a read pending.
process.exit(await main(process.argv.slice(2)));
