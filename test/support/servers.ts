/**
 * Real `redis-server` and `nats-server -js` processes for the key-value backend tests and bench, each
 * on an ephemeral loopback port with its data in a temporary folder. `stop()` + `restart()` take the
 * server away and bring it back on the same port (and, for NATS, the same JetStream data), the way
 * an operator restarting it would. A missing binary is a failure that says how to install it: these
 * tests never skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface TestServer {
  /** `redis://127.0.0.1:<port>` or `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops the process (SIGTERM, then SIGKILL); the port and the data folder stay for `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts clients. */
  restart(): Promise<void>;
  /** Stops it and removes its data folder. */
  dispose(): Promise<void>;
}

const READY_MS = 15_000;
/** Killed when the test process exits, even on a crash, so no server outlives its test. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
const INSTALL = 'install it: `sudo apt-get install redis-server nats-server` (Debian/Ubuntu)';

/** The binary on PATH or in the sbin folders Debian puts servers in (not on a user's PATH). */
export function findServerBinary(name: string): string {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const folder of folders.filter(Boolean)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`${name} is not installed, and the key-value backend tests need a real one; ${INSTALL}`);
}

/** A port nothing listens on right now: bind port 0, read it, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export async function startRedis(): Promise<TestServer> {
  const binary = findServerBinary('redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-redis-'));
  const port = await freePort();
  // No persistence: the tests do not need data to survive a restart, only the server to come back.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return managed(
    'redis-server',
    `redis://127.0.0.1:${port}`,
    port,
    dir,
    () => spawn(binary, [...args, '--dir', dir, '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] }),
    /Ready to accept connections/,
  );
}

export async function startNats(): Promise<TestServer> {
  const binary = findServerBinary('nats-server');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-nats-'));
  const port = await freePort();
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir];
  return managed(
    'nats-server',
    `nats://127.0.0.1:${port}`,
    port,
    dir,
    () => spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }),
    /Server is ready/,
  );
}

function managed(
  name: string,
  url: string,
  port: number,
  dir: string,
  launch: () => ChildProcess,
  ready: RegExp,
): Promise<TestServer> {
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = launch();
    child = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    let output: string | undefined = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${name} on port ${port} was not ready within ${READY_MS} ms:\n${output}`));
      }, READY_MS);
      const onData = (d: Buffer) => {
        if (output === undefined) return; // ready: keep draining the pipe, stop collecting
        output += d;
        if (ready.test(output)) {
          output = undefined;
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${name} did not start: ${e.message}; ${INSTALL}`));
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
      });
    });
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  return start().then(() => ({
    url,
    port,
    stop,
    restart: start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  }));
}
