/** The host's log: guest output prefixed with the component id, host messages, traps with backtraces. */
export interface HostLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  guest(componentId: string, line: string): void;
  trap(componentId: string, requestId: number, what: string, error: unknown): void;
}

/** Frames of the glue and of the host are noise next to the guest's own frames. */
function guestBacktrace(error: unknown): string {
  if (!(error instanceof Error)) return `  ${String(error)}`;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((l) => l.includes('wasm://') || l.includes('wasm-function'));
  const header = `  ${error.name}: ${error.message}`;
  return frames.length
    ? `${header}\n  guest backtrace:\n${frames.map((f) => `    ${f.trim()}`).join('\n')}`
    : `${header}\n${error.stack ?? ''}`;
}

export function consoleLog(
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): HostLog {
  return {
    info: (m) => out.write(`${m}\n`),
    warn: (m) => err.write(`warning: ${m}\n`),
    error: (m) => err.write(`error: ${m}\n`),
    guest: (id, line) => out.write(`[${id}] ${line}\n`),
    trap: (id, requestId, what, e) =>
      err.write(`error: [${id}] request ${requestId} (${what}) trapped:\n${guestBacktrace(e)}\n`),
  };
}
