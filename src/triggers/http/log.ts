/** The host's log: guest output prefixed with the component id, host messages, traps with backtraces. */
import { describeTrap } from '../../engine/trap.ts';

export interface HostLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line the guest wrote; `requestId` when it wrote it while serving a request. */
  guest(componentId: string, line: string, requestId?: number): void;
  trap(componentId: string, requestId: number, what: string, error: unknown): void;
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
      err.write(`error: [${id}] request ${requestId} (${what}) trapped:\n${describeTrap(e, '  ')}\n`),
  };
}
