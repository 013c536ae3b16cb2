/** A HostLog that keeps its lines, so a test can assert what the host and its guests said. */
import type { HostLog } from '../../src/triggers/http/log.ts';

export function memoryLog(): HostLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    guest: (id, line) => lines.push(`[${id}] ${line}`),
    trap: (id, requestId, what, e) => lines.push(`trap: [${id}] ${requestId} ${what}: ${e}`),
  };
}
