/**
 * Starts one server under test as a child process, waits until it is ready, reads the memory of
 * its whole process tree, and stops it. Output goes to files, not pipes, so guests that log every
 * request cost the server a write, not the harness a core (this machine has only two).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerCommand {
  command: string;
  args: string[];
  cwd: string;
  /** Matches the line that says the server is ready; group 1, if any, is its URL. */
  ready: RegExp;
  /** Used when the ready line carries no URL (e.g. jco serve with a port chosen here). */
  url?: string;
  startTimeoutMs: number;
}

export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

export interface RunningServer {
  url: string;
  pid: number;
  /** Milliseconds from spawn to accepting connections. */
  startMs: number;
  /** Sum over the process tree (a cluster primary and its workers) of a /proc status field, in KiB; undefined once the server is gone. */
  memoryKiB(field: 'VmHWM' | 'VmRSS'): number | undefined;
  /** Undefined while the server runs; once it has exited, why, with the last line of its output. */
  exitReason(): string | undefined;
  stop(): Promise<void>;
}

/** A port that was free a moment ago, for servers that cannot report the one they picked. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readText(`/proc/${pid}/status`));
  return match ? Number(match[1]) : 0;
}

/** The pid and every descendant, found through the parent pid in /proc/N/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // The command name may hold spaces or parentheses: the parent pid follows the last ')'.
    const stat = readText(`/proc/${entry}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

async function canConnect(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
  });
}

// Servers run in process groups of their own, so Ctrl-C on the harness does not reach them: stop
// whatever is still running when the harness exits, however it exits.
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Spawns the server in its own process group (jco serve and cluster mode start children of their
 * own), waits for the ready line and for a TCP connect to succeed, and returns a handle.
 */
export async function startServer(cmd: ServerCommand, logDir: string, name: string): Promise<RunningServer> {
  const outFile = join(logDir, `${name}.out.log`);
  const errFile = join(logDir, `${name}.err.log`);
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const started = performance.now();
  const child = spawn(cmd.command, cmd.args, { cwd: cmd.cwd, stdio: ['ignore', out, err], detached: true });
  closeSync(out);
  closeSync(err);
  const pid = child.pid as number;
  liveGroups.add(pid);
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (!hasExited()) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {}
      const done = await Promise.race([exited(child).then(() => true), sleep(5000).then(() => false)]);
      if (!done) process.kill(-pid, 'SIGKILL');
      await exited(child);
    }
    // Children of the group (jco's server, cluster workers) may outlive the leader.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
    liveGroups.delete(pid);
  };
  // The last line first (it usually says why), then some context.
  const logs = () => {
    const lines = `${readText(outFile)}\n${readText(errFile)}`.trim().split('\n').filter(Boolean);
    return `${lines.at(-1) ?? '(no output)'}\n${lines.slice(-8).join('\n')}`;
  };

  let url = cmd.url;
  const deadline = started + cmd.startTimeoutMs;
  for (;;) {
    if (hasExited()) {
      await stop();
      throw new ServerStartError(
        `exited (${child.exitCode ?? child.signalCode}) before it was ready: ${logs()}`,
      );
    }
    if (performance.now() > deadline) {
      await stop();
      throw new ServerStartError(`not ready after ${cmd.startTimeoutMs / 1000} s: ${logs()}`);
    }
    const match = cmd.ready.exec(`${readText(outFile)}\n${readText(errFile)}`);
    if (match) {
      url ??= match[1];
      if (url && (await canConnect(url))) break;
    }
    await sleep(50);
  }
  return {
    url: url as string,
    pid,
    startMs: performance.now() - started,
    memoryKiB: (field) =>
      hasExited() ? undefined : processTree(pid).reduce((sum, p) => sum + statusField(p, field), 0),
    exitReason: () =>
      hasExited() ? `exited (${child.exitCode ?? child.signalCode}): ${logs().split('\n')[0]}` : undefined,
    stop,
  };
}

/**
 * Starts a server, runs `measure` against it, and always stops it. A failure, or the server dying
 * during the run, is recorded on `row.error` so the report leaves that row out of the targets.
 */
export async function measureServer<Row extends { error?: string }>(
  cmd: ServerCommand,
  logDir: string,
  name: string,
  row: Row,
  measure: (server: RunningServer) => Promise<void>,
): Promise<Row> {
  let server: RunningServer | undefined;
  try {
    server = await startServer(cmd, logDir, name);
    await measure(server);
    const exit = server.exitReason();
    if (exit) row.error = `the server stopped during the run: ${exit}`;
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
  } finally {
    await server?.stop();
  }
  return row;
}
