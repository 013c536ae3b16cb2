/**
 * The last log lines this process wrote, for the admin listener's `logs` source: a fixed ring, so
 * keeping them costs one small object per line and no memory growth. Kept only while the admin
 * listener is on.
 */
import type { AdminSource } from '../admin/sources.ts';

/** Lines kept per process, and in the merged answer. */
export const RECENT_LOGS = 500;
/** A line longer than this is cut: the dashboard shows lines, not payloads. */
const MAX_MESSAGE_LENGTH = 2048;

export type LogLevel = 'info' | 'warn' | 'error';

export interface RecentLog {
  /** When it was written, ms since the epoch. */
  time: number;
  level: LogLevel;
  component?: string;
  requestId?: number;
  msg: string;
}

export class RecentLogs {
  readonly #ring: Array<RecentLog | undefined> = new Array(RECENT_LOGS);
  #next = 0;

  add(level: LogLevel, msg: string, component?: string, requestId?: number): void {
    const entry: RecentLog = {
      time: Date.now(),
      level,
      msg: msg.length > MAX_MESSAGE_LENGTH ? `${msg.slice(0, MAX_MESSAGE_LENGTH)}…` : msg,
    };
    if (component !== undefined) entry.component = component;
    if (requestId !== undefined) entry.requestId = requestId;
    this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % RECENT_LOGS;
  }

  /** Walks the ring back from the last line: lines of the same millisecond stay in order. */
  newestFirst(): RecentLog[] {
    const entries: RecentLog[] = [];
    for (let i = 1; i <= RECENT_LOGS; i++) {
      const entry = this.#ring[(this.#next - i + RECENT_LOGS) % RECENT_LOGS];
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** The admin source (`GET /api/logs`): this process's lines, newest first. */
  source(): AdminSource {
    return { name: 'logs', collect: () => this.newestFirst(), merge: mergeRecentLogs };
  }
}

/** Every worker's lines together, newest first, the last RECENT_LOGS. */
export function mergeRecentLogs(parts: unknown[]): RecentLog[] {
  return (parts as RecentLog[][])
    .flat()
    .sort((a, b) => b.time - a.time)
    .slice(0, RECENT_LOGS);
}
