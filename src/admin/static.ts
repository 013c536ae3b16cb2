/**
 * The dashboard's files, served by the admin listener at `/` and `/dashboard/*`. A fixed list read
 * once from src/admin/dashboard/ (no path from the request ever reaches the file system), no build
 * step and nothing from outside: the page works on a machine with no network.
 *
 * The page runs under a strict Content-Security-Policy (its own scripts only, no inline code, no
 * other host), so a guest's log line that slipped into the DOM could not run. The flame graph is
 * the one page with inline code: it is shown inside profile-frame.html, a sandboxed frame whose own
 * policy allows inline code but no network at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

export const DASHBOARD_DIR = join(import.meta.dirname, 'dashboard');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The flame graph document brings its own inline script and styles; it may reach nothing. */
const PROFILE_FRAME_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

const PROFILE_FRAME = 'profile-frame.html';

interface DashboardFile {
  body: Buffer;
  contentType: string;
}

let files: Map<string, DashboardFile> | undefined;

/** Every servable file by name, read on first use (a few tens of KiB). */
function dashboardFiles(): Map<string, DashboardFile> {
  if (files) return files;
  files = new Map();
  for (const name of readdirSync(DASHBOARD_DIR)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType) files.set(name, { body: readFileSync(join(DASHBOARD_DIR, name)), contentType });
  }
  return files;
}

/** The dashboard file a request path names, or undefined when the path is not the dashboard's. */
function fileNameFor(pathname: string): string | undefined {
  if (pathname === '/' || pathname === '/dashboard' || pathname === '/dashboard/') return 'index.html';
  if (!pathname.startsWith('/dashboard/')) return undefined;
  return pathname.slice('/dashboard/'.length);
}

/**
 * Answers a request for the dashboard and returns true, or returns false without touching `res`
 * when the path is not the dashboard's (the caller goes on to its other routes).
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  const pathname = new URL(req.url ?? '/', 'http://admin.invalid').pathname;
  const name = fileNameFor(pathname);
  if (name === undefined) return false;
  const file = dashboardFiles().get(name);
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`No dashboard file ${JSON.stringify(name)}: the dashboard starts at /\n`);
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end(`The dashboard's files answer GET only, not ${req.method}\n`);
    return true;
  }
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': file.body.length,
    'content-security-policy': name === PROFILE_FRAME ? PROFILE_FRAME_POLICY : PAGE_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Always revalidated, so a page open across an upgrade never mixes old and new modules.
    'cache-control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
  return true;
}
