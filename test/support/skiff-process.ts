/**
 * Runs the real `skiff` CLI as a child process, the way a user would, and waits for its ready line.
 * Every test gets its own process on an ephemeral port and a shared on-disk compile cache.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const SKIFF_BIN = join(REPO, 'bin', 'skiff.js');
/** One cache for the whole test run: the first test transpiles, the rest reuse it. */
export const TEST_CACHE_DIR = join(REPO, '.skiff-cache', 'test');
/**
 * The tests read the server's log as text (`error: [c] request 1 …`), which is what a terminal
 * gets; a pipe would otherwise get JSON lines. A test of the JSON format passes `--log-format json`
 * (the flag wins) or SKIFF_LOG_FORMAT in its own `env`.
 */
export const TEST_ENV = { SKIFF_CACHE_DIR: TEST_CACHE_DIR, SKIFF_LOG_FORMAT: 'pretty' };

export interface SkiffProcess {
  child: ChildProcess;
  url: string;
  /** The admin listener's address, from the `Admin http://…` line printed with the ready line (none with `--admin-listen off`). */
  adminUrl: string | undefined;
  /** Everything printed so far, stdout and stderr. */
  stdout(): string;
  stderr(): string;
  /**
   * Resolves once stdout or stderr matches: the server logs from its worker's own pipe, so a log
   * line may arrive after the response it is about.
   */
  waitForOutput(pattern: RegExp, ms?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `input: null` leaves the child's stdin open (a guest reading it waits). */
export function runSkiff(
  args: string[],
  options: { input?: string | null; cwd?: string; env?: Record<string, string> } = {},
) {
  const child = spawn(process.execPath, [SKIFF_BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...TEST_ENV, ...options.env },
  });
  const done = outcome(child);
  if (options.input !== null) child.stdin.end(options.input ?? '');
  return { child, done };
}

/** What a child process printed, and its exit code, once it has closed. */
export function outcome(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d;
  });
  return once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

/**
 * Starts `skiff up …` on a free port and resolves once it prints `Serving http://…`. One worker
 * unless the caller passes --workers (or `allCores`), so many servers can run side by side.
 */
export async function startSkiffUp(
  args: string[],
  options: { allCores?: boolean; env?: Record<string, string> } = {},
): Promise<SkiffProcess> {
  const timeoutMs = 60_000;
  const workers = options.allCores || args.includes('--workers') ? [] : ['--workers', '1'];
  const child = spawn(process.execPath, [SKIFF_BIN, 'up', '--listen', '127.0.0.1:0', ...workers, ...args], {
    cwd: REPO,
    env: { ...process.env, ...TEST_ENV, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`skiff up did not become ready in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      const match = /^Serving (http:\/\/\S+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`skiff up exited with ${code} before it was ready:\n${stderr}`));
    });
  });
  return {
    child,
    url,
    adminUrl: /^Admin (http:\/\/\S+)$/m.exec(stdout)?.[1],
    stdout: () => stdout,
    stderr: () => stderr,
    async waitForOutput(pattern, ms = 5000) {
      const until = performance.now() + ms;
      while (!pattern.test(stdout + stderr)) {
        if (performance.now() > until)
          throw new Error(
            `the server did not print ${pattern} within ${ms} ms; it printed:\n${stdout}${stderr}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = await exited;
      return code as number | null;
    },
  };
}
