/**
 * Executes a test's operations in order against the real `skiff` CLI, as the suite's own runner
 * (test-runner/wasi_test_runner/test_suite_runner.py upstream) drives a runtime:
 * - `run` starts `skiff run [--env K=V]... [--allow-outbound URL]... [--dir ROOT::/::rw] FILE ARGS...`,
 *   or for a `wasi:http/service` test `skiff up --component FILE --listen 127.0.0.1:0` with the same
 *   grants; the spec's servers are started first and reach the guest as `HTTP_SERVER_<NAME>`;
 * - `read`/`write` take exactly the payload's bytes from stdout/stderr, or give them to stdin
 *   (stdin stays open until `wait`, which closes it);
 * - `wait` waits for the exit and compares the exit code;
 * - `request` sends an HTTP request to the served component and compares status, the listed
 *   headers and the body;
 * - `connect` reads `HOST:PORT` from the guest's stdout and connects to it over TCP, `send` and
 *   `recv` talk to that peer;
 * - `kill` sends a signal to the skiff process.
 * The first failed operation ends the test. Everything shares one deadline, so nothing hangs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { SKIFF_BIN, TEST_ENV } from '../support/skiff-process.ts';
import { type RunningServers, startServers } from './servers.ts';
import { socketGrantFlags } from './socket-grants.ts';
import type {
  ConnectOperation,
  KillOperation,
  Operation,
  ReadOperation,
  RecvOperation,
  RequestOperation,
  RunOperation,
  SendOperation,
  TestConfig,
  WaitOperation,
  WriteOperation,
} from './spec.ts';

/**
 * The suite writes into its root folder, and tests share one (`fs-tests.dir`) with fixed names,
 * so every run gets a private writable copy: tests can run side by side and the shared suite
 * folder (read-only here) is never changed. Leftover `*.cleanup` entries are not copied, which is
 * the suite's "delete *.cleanup before a run" rule.
 */
export function privateRoot(source: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'skiff-wasi-root-'));
  cpSync(source, copy, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !basename(src).endsWith('.cleanup'),
  });
  makeWritable(copy);
  return copy;
}

function makeWritable(path: string): void {
  const stat = statSync(path);
  chmodSync(path, stat.mode | 0o200);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

/** What a test is run from. */
export interface OperationsTest {
  wasm: string;
  folder: string;
  config: TestConfig;
}

/** A request gets this long for its response (the upstream runner gives it 5 s). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Runs every operation; returns why the test failed (empty when it passed). */
export async function runOperations(
  test: OperationsTest,
  timeoutMs: number,
  /** The CLI to start (a stand-in lets the runner itself be checked). */
  skiffBin = SKIFF_BIN,
): Promise<string[]> {
  const runner = new OperationsRunner(test, timeoutMs, skiffBin);
  try {
    await runner.runAll();
  } finally {
    await runner.cleanup();
  }
  return runner.failures;
}

/** Operation `index` could not go on: the reason is the failure. */
class OperationFailed extends Error {
  override name = 'OperationFailed';
}

/** The whole test's deadline passed. */
class TimedOut extends Error {
  override name = 'TimedOut';
}

/** How a process ended, as the upstream runner compares it (a signal is not an exit code). */
interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const describeEnding = (e: Ending) => (e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`);

/** Output of the guest's process (or a socket peer), read from the front in exact byte counts. */
class Captured {
  #chunks: Buffer[] = [];
  #length = 0;
  #position = 0;
  #ended = false;
  #waiters: Array<() => void> = [];

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
      this.#wake();
    });
    stream.on('close', () => this.end());
    stream.on('end', () => this.end());
    stream.on('error', () => this.end());
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Everything received, read or not. */
  all(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  /** The next `count` bytes, fewer if the stream ends first. */
  async read(count: number, within: Deadline): Promise<Buffer> {
    await within(
      this.#until(() => this.#length - this.#position >= count),
      `${count} bytes`,
    );
    const bytes = this.all().subarray(this.#position, this.#position + count);
    this.#position += bytes.length;
    return bytes;
  }

  /** The next line, without its line ending; what is left if the stream ends first. */
  async readLine(within: Deadline): Promise<string> {
    const newline = () => this.all().indexOf(0x0a, this.#position);
    await within(
      this.#until(() => newline() !== -1),
      'a line',
    );
    const end = newline() === -1 ? this.#length : newline() + 1;
    const line = this.all().subarray(this.#position, end).toString('utf8');
    this.#position = end;
    return line.replace(/\r?\n$/, '');
  }

  /** Resolves once `ready()` holds or the stream has ended. */
  #until(ready: () => boolean): Promise<void> {
    return new Promise((resolveWait) => {
      const check = () => {
        if (ready() || this.#ended) resolveWait();
        else this.#waiters.push(check);
      };
      check();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Awaits `promise` until the test's deadline; `what` names what was waited for. */
type Deadline = <T>(promise: Promise<T>, what: string) => Promise<T>;

interface GuestProcess {
  child: ChildProcess;
  /** `skiff up` (a `wasi:http/service` test) rather than `skiff run`. */
  service: boolean;
  stdout: Captured;
  stderr: Captured;
  /** Settles once the process has exited and its output is closed. */
  ended: Promise<Ending>;
  ending: Ending | undefined;
  /** `http://HOST:PORT` once `skiff up` said where it serves. */
  url: string | undefined;
}

class OperationsRunner {
  readonly failures: string[] = [];
  readonly #test: OperationsTest;
  readonly #timeoutMs: number;
  readonly #skiffBin: string;
  readonly #deadline: number;
  #guest: GuestProcess | undefined;
  #servers: RunningServers | undefined;
  #roots: string[] = [];
  #peers = new Map<string, { socket: Socket; received: Captured }>();
  /** For diagnostics: the last process's output, kept after it ended. */
  #lastGuest: GuestProcess | undefined;

  constructor(test: OperationsTest, timeoutMs: number, skiffBin: string) {
    this.#test = test;
    this.#skiffBin = skiffBin;
    this.#timeoutMs = timeoutMs;
    this.#deadline = performance.now() + timeoutMs;
  }

  /** Awaits `promise` until the test's deadline, or for at most `limitMs` when that comes first. */
  readonly #within = <T>(
    promise: Promise<T>,
    what: string,
    limitMs = Number.POSITIVE_INFINITY,
  ): Promise<T> => {
    const left = this.#deadline - performance.now();
    const [ms, limit] = left <= limitMs ? [left, this.#timeoutMs] : [limitMs, limitMs];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimedOut(`timed out after ${limit / 1000} s waiting for ${what}`)),
        Math.max(0, ms),
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  async runAll(): Promise<void> {
    const { operations } = this.#test.config;
    for (const [index, op] of operations.entries()) {
      const label = `operation ${index + 1}/${operations.length} (${describe(op)})`;
      try {
        await this.#perform(op);
      } catch (e) {
        if (!(e instanceof OperationFailed || e instanceof TimedOut)) throw e;
        this.failures.push(`${label}: ${e.message}`);
        return;
      }
    }
  }

  #perform(op: Operation): Promise<void> {
    switch (op.type) {
      case 'run':
        return this.#run(op);
      case 'wait':
        return this.#wait(op);
      case 'read':
        return this.#read(op);
      case 'write':
        return this.#write(op);
      case 'connect':
        return this.#connect(op);
      case 'send':
        return this.#send(op);
      case 'recv':
        return this.#recv(op);
      case 'request':
        return this.#request(op);
      case 'kill':
        return this.#kill(op);
    }
  }

  #running(): GuestProcess {
    if (!this.#guest) throw new OperationFailed('no guest is running');
    return this.#guest;
  }

  async #run(op: RunOperation): Promise<void> {
    if (this.#guest) throw new OperationFailed('the previous guest is still running');
    const { config, wasm, folder } = this.#test;
    this.#servers ??= await startServers(config.servers);
    const root = op.root ? privateRoot(op.root) : undefined;
    if (root) this.#roots.push(root);
    const grants: string[] = [];
    for (const [key, value] of Object.entries({ ...op.env, ...this.#servers.env }))
      grants.push('--env', `${key}=${value}`);
    for (const origin of this.#servers.origins) grants.push('--allow-outbound', origin);
    grants.push(...socketGrantFlags(basename(wasm, '.wasm')));
    if (root) grants.push('--dir', `${root}::/::rw`);
    const service = config.world === 'wasi:http/service';
    if (service && op.args.length > 0)
      throw new OperationFailed('the runner cannot pass arguments to a wasi:http/service component');
    const args = service
      ? ['up', '--component', wasm, '--listen', '127.0.0.1:0', '--workers', '1', ...grants]
      : ['run', ...grants, wasm, ...op.args];
    const child = spawn(process.execPath, [this.#skiffBin, ...args], {
      cwd: folder,
      env: { ...process.env, ...TEST_ENV },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // The guest may exit before it reads what the test writes to it.
    child.stdin.on('error', () => {});
    const guest: GuestProcess = {
      child,
      service,
      stdout: new Captured(child.stdout),
      stderr: new Captured(child.stderr),
      ended: new Promise((resolveEnding, reject) => {
        child.once('error', reject);
        child.once('close', (code, signal) => {
          guest.ending = { code, signal };
          resolveEnding(guest.ending);
        });
      }),
      ending: undefined,
      url: undefined,
    };
    guest.ended.catch(() => {});
    this.#guest = guest;
    this.#lastGuest = guest;
  }

  async #wait(op: WaitOperation): Promise<void> {
    const guest = this.#running();
    guest.child.stdin?.end();
    const ending = await this.#within(guest.ended, 'the guest to exit');
    this.#guest = undefined;
    for (const { socket } of this.#peers.values()) socket.destroy();
    this.#peers.clear();
    if (ending.signal || ending.code !== op.exitCode)
      throw new OperationFailed(`${describeEnding(ending)}, expected exit code ${op.exitCode}`);
  }

  async #read(op: ReadOperation): Promise<void> {
    const guest = this.#running();
    const stream = op.id === 'stderr' ? guest.stderr : guest.stdout;
    const expected = Buffer.from(op.payload);
    const got = await stream.read(expected.length, (p, what) => this.#within(p, `${what} of ${op.id}`));
    if (!got.equals(expected))
      throw new OperationFailed(
        `read ${JSON.stringify(got.toString('utf8'))}${got.length < expected.length ? ` (then ${op.id} ended)` : ''}, expected ${JSON.stringify(op.payload)}`,
      );
  }

  async #write(op: WriteOperation): Promise<void> {
    const { stdin } = this.#running().child;
    if (!stdin || stdin.writableEnded) throw new OperationFailed('stdin is closed');
    await this.#within(
      new Promise<void>((done, reject) =>
        stdin.write(op.payload, (e) =>
          e ? reject(new OperationFailed(`write failed: ${e.message}`)) : done(),
        ),
      ),
      'stdin to take the payload',
    );
  }

  async #connect(op: ConnectOperation): Promise<void> {
    const guest = this.#running();
    if (op.protocol !== 'tcp')
      throw new OperationFailed(`the runner does not implement ${op.protocol} peers`);
    // The guest says where it listens on a line of its stdout.
    const line = (
      await guest.stdout.readLine((p) => this.#within(p, "the guest's HOST:PORT line on stdout"))
    ).trim();
    const match = /^([^:]+):(\d+)$/.exec(line);
    if (!match && !line && guest.stdout.ended)
      throw new OperationFailed('stdout ended before the guest printed where it listens (HOST:PORT)');
    if (!match) throw new OperationFailed(`expected HOST:PORT on stdout, got ${JSON.stringify(line)}`);
    const [, host = '', port = ''] = match;
    const socket = tcpConnect({ host, port: Number(port) });
    const received = new Captured(socket);
    try {
      await this.#within(
        new Promise<void>((done, reject) => {
          socket.once('connect', done);
          socket.once('error', reject);
        }),
        `a connection to ${line}`,
      );
    } catch (e) {
      socket.destroy();
      if (e instanceof TimedOut) throw e;
      throw new OperationFailed(`could not connect to ${line}: ${(e as Error).message}`);
    }
    socket.on('error', () => {});
    this.#peers.set(op.id, { socket, received });
  }

  #peer(id: string) {
    const peer = this.#peers.get(id);
    if (!peer) throw new OperationFailed(`${id} is not connected`);
    return peer;
  }

  async #send(op: SendOperation): Promise<void> {
    const { socket } = this.#peer(op.id);
    await this.#within(
      new Promise<void>((done, reject) =>
        socket.write(op.payload, (e) =>
          e ? reject(new OperationFailed(`send failed: ${e.message}`)) : done(),
        ),
      ),
      `${op.id} to take the payload`,
    );
  }

  async #recv(op: RecvOperation): Promise<void> {
    const { received } = this.#peer(op.id);
    const expected = Buffer.from(op.payload);
    const got = await received.read(expected.length, (p, what) => this.#within(p, `${what} from ${op.id}`));
    if (!got.equals(expected))
      throw new OperationFailed(
        `received ${JSON.stringify(got.toString('utf8'))}${got.length < expected.length ? ' (then the peer closed)' : ''}, expected ${JSON.stringify(op.payload)}`,
      );
  }

  /** `skiff up`'s address, from its `Serving http://…` line (the first request waits for it). */
  async #serviceUrl(guest: GuestProcess): Promise<string> {
    if (!guest.service) throw new OperationFailed('a request needs "world": "wasi:http/service"');
    if (guest.url) return guest.url;
    const serving = () => /^Serving (http:\/\/\S+)$/m.exec(guest.stdout.all().toString('utf8'))?.[1];
    await this.#within(
      new Promise<void>((ready) => {
        const check = () => {
          if (serving() || guest.ending) return ready();
          setTimeout(check, 20);
        };
        check();
      }),
      'skiff up to print its Serving line',
    );
    const url = serving();
    if (!url)
      throw new OperationFailed(
        `skiff up ended (${describeEnding(guest.ending as Ending)}) before it served the component`,
      );
    guest.url = url;
    return url;
  }

  async #request(op: RequestOperation): Promise<void> {
    const url = new URL(await this.#serviceUrl(this.#running()));
    const body = Buffer.from(op.body);
    const headers: Record<string, string> = { ...op.headers };
    // As Python's requests sends it: a body when there is one, an empty one for methods that carry one.
    if (body.length > 0 || !['GET', 'HEAD'].includes(op.method))
      headers['content-length'] = String(body.length);
    const response = await this.#within(
      new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((done, reject) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, method: op.method, path: op.path, headers, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const flat: Record<string, string> = {};
              for (const [name, value] of Object.entries(res.headers))
                if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
              done({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
            });
          },
        );
        req.on('error', (e) => reject(new OperationFailed(`the request failed: ${e.message}`)));
        req.end(body.length > 0 ? body : undefined);
      }),
      'the response',
      REQUEST_TIMEOUT_MS,
    );
    const { status, headers: expectedHeaders, body: expectedBody } = op.response;
    const got = `(response ${response.status} ${JSON.stringify(response.headers)} ${JSON.stringify(response.body.toString('utf8'))})`;
    if (response.status !== status)
      throw new OperationFailed(`status ${response.status}, expected ${status} ${got}`);
    for (const [name, value] of Object.entries(expectedHeaders)) {
      const actual = response.headers[name.toLowerCase()];
      if (actual === undefined)
        throw new OperationFailed(`no ${name} header, expected ${JSON.stringify(value)} ${got}`);
      if (actual !== value)
        throw new OperationFailed(
          `header ${name}: ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`,
        );
    }
    const text = response.body.toString('utf8');
    if (text !== expectedBody)
      throw new OperationFailed(`body ${JSON.stringify(text)}, expected ${JSON.stringify(expectedBody)}`);
  }

  async #kill(op: KillOperation): Promise<void> {
    const guest = this.#running();
    // Like Popen.send_signal: a process that has already exited is left alone; `wait` tells how it ended.
    if (!guest.ending) guest.child.kill(op.signal);
  }

  /** Stops what is still running, closes servers and peers, removes root copies. */
  async cleanup(): Promise<void> {
    const guest = this.#guest;
    this.#guest = undefined;
    let killed = false;
    // A guest whose output has closed is exiting on its own: let it, so its exit status is known.
    if (guest && !guest.ending && guest.stdout.ended && guest.stderr.ended)
      await Promise.race([guest.ended.catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (guest && !guest.ending) {
      guest.child.kill('SIGKILL');
      killed = true;
      this.failures.push(
        this.failures.length === 0
          ? 'the guest was still running after the last operation; the runner killed it'
          : 'the runner killed the skiff process, still running',
      );
    }
    if (guest)
      await Promise.race([guest.ended.catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
    for (const { socket } of this.#peers.values()) socket.destroy();
    this.#peers.clear();
    await this.#servers?.close();
    for (const root of this.#roots) rmSync(root, { recursive: true, force: true });
    const last = this.#lastGuest;
    if (this.failures.length === 0 || !last) return;
    // How the process ended and what it printed, unless a failed wait said it already.
    if (!killed && last.ending && !this.failures.some((f) => f.includes('expected exit code')))
      this.failures.push(`the skiff process ended with ${describeEnding(last.ending)}`);
    for (const [name, stream] of [
      ['stdout', last.stdout],
      ['stderr', last.stderr],
    ] as const) {
      const text = stream.all().toString('utf8').trim();
      if (text) this.failures.push(`${name}:\n${clip(text)}`);
    }
  }
}

function describe(op: Operation): string {
  switch (op.type) {
    case 'run':
      return op.args.length > 0 ? `run ${op.args.join(' ')}` : 'run';
    case 'wait':
      return `wait, exit code ${op.exitCode}`;
    case 'read':
      return `read ${op.id}`;
    case 'write':
      return `write ${op.id}`;
    case 'request':
      return `request ${op.method} ${op.path}`;
    case 'kill':
      return `kill ${op.signal}`;
    default:
      return `${op.type} ${op.id}`;
  }
}

/** Long output keeps its start and its end. */
function clip(text: string, max = 3000): string {
  return text.length <= max ? text : `${text.slice(0, max / 2)}\n[…]\n${text.slice(-max / 2)}`;
}
