/**
 * Which `skiff up` servers run on this machine, and where their admin listeners are: each writes
 * a small file under Skiff's cache folder while it runs, so `skiff profile` finds the server
 * without being told its admin address. Files of processes that are gone are ignored.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '../engine/core-module.ts';

export interface RunningServer {
  pid: number;
  /** Where it serves the app. */
  url: string;
  /** Its admin listener. */
  admin: string;
  /** Whether the admin listener asks for a token. */
  tokenRequired: boolean;
  routes: Array<{ route: string; component: string }>;
}

const folder = () => join(defaultCacheDir(), 'running');

/** Records this process as running `server` until it exits. */
export function recordRunningServer(server: Omit<RunningServer, 'pid'>): void {
  const file = join(folder(), `${process.pid}.json`);
  try {
    mkdirSync(folder(), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: process.pid, ...server }));
  } catch {
    return; // Only a convenience for `skiff profile`: a read-only cache must not stop the server.
  }
  process.once('exit', () => rmSync(file, { force: true }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function runningServers(): RunningServer[] {
  let names: string[];
  try {
    names = readdirSync(folder());
  } catch {
    return [];
  }
  const servers: RunningServer[] = [];
  for (const name of names) {
    try {
      const server = JSON.parse(readFileSync(join(folder(), name), 'utf8')) as RunningServer;
      if (alive(server.pid)) servers.push(server);
    } catch {}
  }
  return servers;
}
