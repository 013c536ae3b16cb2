#!/usr/bin/env node
// Written for any Node from 18 on (no newer syntax), so that an old one gets the one-line answer
// below instead of a syntax error.
import { existsSync } from 'node:fs';

// A checkout runs its TypeScript directly (Node strips the types); the published package ships no
// src/, only the build in dist/ (Node will not strip types under node_modules). Choosing by what is
// there, not by timestamps, means a stale dist/ left in a checkout is never what runs.
const fromSource = existsSync(new URL('../src/cli/main.ts', import.meta.url));

// JSPI (a guest waiting on I/O suspends instead of blocking the thread) arrived in Node 24.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  const found = `skiff needs Node.js 24 or newer (for JSPI), but this is Node ${process.version} (${process.execPath})`;
  const fix = fromSource
    ? 'inside the repository, run it through npm (`npx skiff …`, `npm start`), which uses the Node 24 in node_modules'
    : 'run it as `npx -p node@24 skiff …`, or install Node 24 (`nvm install 24`, or https://nodejs.org)';
  process.stderr.write(`${found}; ${fix}.\n`);
  process.exit(1);
}

// V8's code cache for Skiff's own modules: a start-up then skips compiling them again (type-stripped
// TypeScript in a checkout: about 340 → 110 ms to load the CLI). Kept beside Skiff's other caches.
const { enableCompileCache } = await import('node:module');
const { homedir } = await import('node:os');
const cacheRoot =
  process.env.SKIFF_CACHE_DIR || `${process.env.XDG_CACHE_HOME || `${homedir()}/.cache`}/skiff`;
enableCompileCache(`${cacheRoot}/node-compile-cache`);
const { main } = fromSource ? await import('../src/cli/main.ts') : await import('../dist/cli/main.js');
// Exit once the command is done, even if a guest stopped at its timeout left a read pending.
process.exit(await main(process.argv.slice(2)));
