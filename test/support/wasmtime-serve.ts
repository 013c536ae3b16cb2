/**
 * `wasmtime serve`, the reference host, started on a free loopback port for differential tests.
 * `npm test` installs it first (install-wasmtime.ts); a test that needs it fails when it is missing
 * rather than skipping, so CI can never pass without the comparison.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { WASMTIME_BIN } from './install-wasmtime.ts';

/** The copy `npm test` installed, else one on PATH. */
const wasmtime = (): string => (existsSync(WASMTIME_BIN) ? WASMTIME_BIN : 'wasmtime');

export interface WasmtimeServe {
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

export function wasmtimeVersion(): string {
  try {
    return execFileSync(wasmtime(), ['--version'], { encoding: 'utf8' }).trim();
  } catch (e) {
    throw new Error(
      `wasmtime is needed for the differential tests: run \`node test/support/install-wasmtime.ts\` (npm test does). ${(e as Error).message}`,
    );
  }
}

export async function startWasmtimeServe(component: string, flags: string[] = []): Promise<WasmtimeServe> {
  wasmtimeVersion();
  // The copy `npm test` installs, as the version check used: not whatever `wasmtime` PATH finds first.
  const child: ChildProcess = spawn(
    wasmtime(),
    ['serve', '-Scli', ...flags, '--addr', '127.0.0.1:0', component],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wasmtime serve did not start:\n${stderr}`)), 60_000);
    const onData = (d: Buffer) => {
      stderr += d;
      const match = /Serving HTTP on (http:\/\/[\d.]+:\d+)\//.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wasmtime serve exited with ${code}:\n${stderr}`));
    });
  });
  return {
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
