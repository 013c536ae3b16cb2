/**
 * The host's log as `skiff up` and `skiff run` write it: JSON lines (pino) for machines, or the
 * familiar text for a person at a terminal. Guest lines carry the component and the request they
 * were written for, request lines (`--log-requests`) the route, status, wall and CPU time, so one
 * request's lines can be found together. Nothing is written on the request path: lines go out
 * asynchronously in batches (line-sink.ts). The admin listener's `logs` source keeps the last lines.
 *
 * Only what the host and the guests say is logged: no request headers, environment or variable
 * values (variables marked secret never reach the host log in any form).
 */
import pino from 'pino';
import { describeTrap } from '../engine/trap.ts';
import type { HostLog } from '../triggers/http/log.ts';
import { type RequestEvent, requestFinished } from './events.ts';
import { LineSink } from './line-sink.ts';
import { type LogLevel, RecentLogs } from './recent-logs.ts';

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** `--log-format` wins, then SKIFF_LOG_FORMAT; else text on a terminal and JSON anywhere else. */
export function chooseLogFormat(
  flag: LogFormat | undefined,
  env: string | undefined = process.env.SKIFF_LOG_FORMAT,
  terminal: boolean = process.stdout.isTTY === true,
): LogFormat {
  if (flag) return flag;
  if (env === 'json' || env === 'pretty') return env;
  return terminal ? 'pretty' : 'json';
}

export interface HostLogger extends HostLog {
  readonly format: LogFormat;
  /** One line per finished request that a route matched (`--log-requests`); returns the unsubscribe. */
  logRequests(): () => void;
  /** Keeps the last lines for the admin listener (its `logs` source). */
  keepRecent(): RecentLogs;
  /** Resolves once every line so far is written. */
  flush(): Promise<void>;
  /** Flushes; call before the process exits. */
  close(): Promise<void>;
}

/** `[component] request N …`: how the core names a request in its messages. */
const REQUEST_PREFIX = /^\[([^\]\s]+)\] request (\d+)\b/;

/** What a host message says of its request, for the JSON fields. */
function requestOf(message: string): { component?: string; requestId?: number } {
  const match = REQUEST_PREFIX.exec(message);
  return match ? { component: match[1] as string, requestId: Number(match[2]) } : {};
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/** What a request line tells, in both formats. */
function requestLineOf(event: RequestEvent) {
  return {
    requestId: event.id,
    component: event.component,
    route: event.route,
    method: event.method,
    target: event.target,
    status: event.status,
    outcome: event.outcome,
    wallMs: round3(event.wallMs ?? 0),
    cpuMs: round3(event.cpuMs ?? 0),
    traceId: (event as { traceId?: string }).traceId,
  };
}

interface LineWriter {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  guest(component: string, line: string, requestId: number | undefined): void;
  trap(component: string, requestId: number, what: string, error: unknown): void;
  request(event: RequestEvent): void;
}

/** Today's text: info and guest lines on stdout, warnings and errors on stderr. */
function prettyWriter(out: LineSink, err: LineSink): LineWriter {
  return {
    info: (m) => out.write(`${m}\n`),
    warn: (m) => err.write(`warning: ${m}\n`),
    error: (m) => err.write(`error: ${m}\n`),
    guest: (id, line) => out.write(`[${id}] ${line}\n`),
    trap: (id, requestId, what, e) =>
      err.write(`error: [${id}] request ${requestId} (${what}) trapped:\n${describeTrap(e, '  ')}\n`),
    request: (e) =>
      out.write(
        `[${e.component}] request ${e.id} ${e.method} ${e.target} ${e.status} wall ${(e.wallMs ?? 0).toFixed(1)} ms cpu ${(e.cpuMs ?? 0).toFixed(1)} ms\n`,
      ),
  };
}

/** One JSON object per line on stdout: `time` (ms since the epoch), `level`, `pid`, `msg` and the request's fields. */
function jsonWriter(out: LineSink): LineWriter {
  const root = pino(
    {
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
    },
    out,
  );
  // A child per component: pino serializes its fields once, not on every line.
  const children = new Map<string, pino.Logger>();
  const of = (component: string) => {
    let child = children.get(component);
    if (!child) {
      child = root.child({ component });
      children.set(component, child);
    }
    return child;
  };
  return {
    info: (m) => root.info(requestOf(m), m),
    warn: (m) => root.warn(requestOf(m), m),
    error: (m) => root.error(requestOf(m), m),
    guest: (id, line, requestId) => of(id).info({ requestId, guest: true }, line),
    trap: (id, requestId, what, e) =>
      of(id).error({ requestId, trap: describeTrap(e) }, `request ${requestId} (${what}) trapped`),
    request: (e) => root.info(requestLineOf(e), `${e.method} ${e.target} ${e.status}`),
  };
}

export function createHostLogger(format: LogFormat, fds = { stdout: 1, stderr: 2 }): HostLogger {
  const out = new LineSink(fds.stdout);
  const err = format === 'pretty' ? new LineSink(fds.stderr) : out;
  const write = format === 'pretty' ? prettyWriter(out, err) : jsonWriter(out);
  let recent: RecentLogs | undefined;
  const keep = (level: LogLevel, msg: string, component?: string, requestId?: number) =>
    recent?.add(level, msg, component, requestId);
  const hostLine = (level: LogLevel, message: string) => {
    if (!recent) return;
    const { component, requestId } = requestOf(message);
    recent.add(level, message, component, requestId);
  };
  const flush = async () => {
    await Promise.all(out === err ? [out.flush()] : [out.flush(), err.flush()]);
  };
  return {
    format,
    info(message) {
      write.info(message);
      hostLine('info', message);
    },
    warn(message) {
      write.warn(message);
      hostLine('warn', message);
    },
    error(message) {
      write.error(message);
      hostLine('error', message);
    },
    guest(component, line, requestId) {
      write.guest(component, line, requestId);
      keep('info', line, component, requestId);
    },
    trap(component, requestId, what, error) {
      write.trap(component, requestId, what, error);
      keep('error', `request ${requestId} (${what}) trapped: ${describeTrap(error)}`, component, requestId);
    },
    logRequests() {
      const onRequest = (message: unknown) => {
        const event = message as RequestEvent;
        // As before: the requests a route matched (not 404s, not health checks).
        if (event.component === undefined || event.outcome === 'health') return;
        write.request(event);
        keep(
          event.status !== undefined && event.status >= 500 ? 'error' : 'info',
          `${event.method} ${event.target} ${event.status} wall ${(event.wallMs ?? 0).toFixed(1)} ms cpu ${(event.cpuMs ?? 0).toFixed(1)} ms`,
          event.component,
          event.id,
        );
      };
      requestFinished.subscribe(onRequest);
      return () => requestFinished.unsubscribe(onRequest);
    },
    keepRecent() {
      recent ??= new RecentLogs();
      return recent;
    },
    flush,
    async close() {
      await Promise.all(out === err ? [out.close()] : [out.close(), err.close()]);
    },
  };
}
