/**
 * Where the admin listener's answers come from. Telemetry is kept in each worker (metrics, recent
 * requests, logs, traces…) and nothing crosses processes per request: when the admin listener is
 * asked, the primary asks every worker for its part of a named source over the cluster's IPC
 * channel and merges the parts. With one process (`--workers 1`) the source is called in place.
 *
 * A source is registered under the same name in the workers (where `collect` runs) and, when it
 * has its own `merge`, in the primary too; without one the parts are concatenated, newest first.
 */
import cluster, { type Worker } from 'node:cluster';

export interface AdminSource {
  /** 'metrics-json', 'requests', 'logs', 'traces', 'stats', 'overview', 'profile' … */
  name: string;
  /** This process's part; runs in each worker. Must be JSON-serializable (it crosses IPC). */
  collect(query: Record<string, string>): unknown | Promise<unknown>;
  /** Runs in the primary over every worker's part; default: concat arrays, sort by `time` desc. */
  merge?(parts: unknown[]): unknown;
}

/** No process has a source of that name: the admin listener answers 404. */
export class UnknownAdminSourceError extends Error {
  override name = 'UnknownAdminSourceError';
}

/** Every worker that answered failed to collect its part: the admin listener answers 500. */
export class AdminSourceError extends Error {
  override name = 'AdminSourceError';
}

/** How long the primary waits for a worker's part: a worker stuck in a guest must not hang the API. */
export const COLLECT_TIMEOUT_MS = 2000;

const sources = new Map<string, AdminSource>();

/** Registers a source in this process; returns a function that removes it again. */
export function registerAdminSource(source: AdminSource): () => void {
  if (sources.has(source.name))
    throw new Error(`an admin source named "${source.name}" is already registered in this process`);
  sources.set(source.name, source);
  return () => {
    if (sources.get(source.name) === source) sources.delete(source.name);
  };
}

/** Concatenates array parts and sorts them by their `time`, newest first. */
export function mergeNewestFirst(parts: unknown[]): unknown[] {
  const all = parts.flatMap((part) => (Array.isArray(part) ? part : [part]));
  const timeOf = (entry: unknown) => (entry as { time?: number | string } | null)?.time ?? 0;
  return all.sort((a, b) => {
    const ta = timeOf(a);
    const tb = timeOf(b);
    return ta < tb ? 1 : ta > tb ? -1 : 0;
  });
}

/** The primary asks one worker; `nonce` matches the answer to the question. */
interface CollectRequest {
  skiffAdmin: 'collect';
  name: string;
  query: Record<string, string>;
  nonce: number;
}

/** A worker's answer: its part, or why it has none. */
interface CollectReply {
  skiffAdmin: 'part';
  nonce: number;
  part?: unknown;
  error?: string;
  unknown?: boolean;
}

interface PendingCollect {
  name: string;
  waitingFor: Set<number>;
  replies: CollectReply[];
  finish(): void;
}

/** Set in the primary of a cluster: parts come from the workers, not from this process. */
let askWorkers = false;
let nextNonce = 1;
const pending = new Map<number, PendingCollect>();

const isCollectRequest = (message: unknown): message is CollectRequest =>
  (message as CollectRequest | null)?.skiffAdmin === 'collect';
const isCollectReply = (message: unknown): message is CollectReply =>
  (message as CollectReply | null)?.skiffAdmin === 'part';

function onWorkerReply(worker: Worker, message: unknown): void {
  if (!isCollectReply(message)) return;
  const collect = pending.get(message.nonce);
  if (!collect?.waitingFor.delete(worker.id)) return;
  collect.replies.push(message);
  if (collect.waitingFor.size === 0) collect.finish();
}

/** A worker that exits is not waited for. */
function onWorkerExit(worker: Worker): void {
  for (const collect of pending.values()) {
    if (collect.waitingFor.delete(worker.id) && collect.waitingFor.size === 0) collect.finish();
  }
}

/** In the primary of a cluster: from now on, sources are collected from the workers. */
export function collectFromClusterWorkers(): () => void {
  if (askWorkers) return () => {};
  askWorkers = true;
  cluster.on('message', onWorkerReply);
  cluster.on('exit', onWorkerExit);
  return () => {
    askWorkers = false;
    cluster.off('message', onWorkerReply);
    cluster.off('exit', onWorkerExit);
  };
}

/** In a cluster worker: answers the primary's requests for this process's parts. */
export function answerPrimaryCollects(): () => void {
  const reply = (message: CollectReply) => {
    // The primary may be gone, or the worker stopping: nobody is waiting for the part then.
    if (process.connected) process.send?.(message, undefined, {}, () => {});
  };
  const onMessage = (message: unknown) => {
    if (!isCollectRequest(message)) return;
    const { nonce } = message;
    const source = sources.get(message.name);
    if (!source) {
      reply({ skiffAdmin: 'part', nonce, unknown: true });
      return;
    }
    Promise.resolve()
      .then(() => source.collect(message.query))
      .then(
        (part) => reply({ skiffAdmin: 'part', nonce, part }),
        (e: unknown) =>
          reply({ skiffAdmin: 'part', nonce, error: e instanceof Error ? e.message : String(e) }),
      );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

function askClusterWorkers(
  name: string,
  query: Record<string, string>,
  timeoutMs: number,
): Promise<CollectReply[]> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w?.isConnected());
  if (workers.length === 0) return Promise.resolve([]);
  const nonce = nextNonce++;
  return new Promise((resolve) => {
    const collect: PendingCollect = {
      name,
      waitingFor: new Set(workers.map((w) => w.id)),
      replies: [],
      finish: () => {
        clearTimeout(timer);
        pending.delete(nonce);
        resolve(collect.replies);
      },
    };
    // Whatever has arrived by then is the answer; a silent worker's part is missing from it.
    const timer = setTimeout(collect.finish, timeoutMs);
    pending.set(nonce, collect);
    const request: CollectRequest = { skiffAdmin: 'collect', name, query, nonce };
    for (const worker of workers) {
      worker.send(request, undefined, (error) => {
        if (error) onWorkerExit(worker);
      });
    }
  });
}

/**
 * Every process's part of source `name`, unmerged: the workers' (cluster), or this process's.
 * `timeoutMs`: how long to wait for the workers (a profile takes as long as it samples).
 */
export async function collectParts(
  name: string,
  query: Record<string, string> = {},
  timeoutMs = COLLECT_TIMEOUT_MS,
): Promise<unknown[]> {
  if (!askWorkers) {
    const source = sources.get(name);
    if (!source) throw new UnknownAdminSourceError(`no admin source named "${name}"`);
    return [await source.collect(query)];
  }
  const replies = await askClusterWorkers(name, query, timeoutMs);
  const parts = replies.filter((r) => !r.unknown && r.error === undefined).map((r) => r.part);
  if (parts.length > 0 || replies.length === 0) return parts;
  const failed = replies.find((r) => r.error !== undefined);
  if (failed) throw new AdminSourceError(`collecting "${name}" failed in the workers: ${failed.error}`);
  throw new UnknownAdminSourceError(`no admin source named "${name}" in the workers`);
}

/** Source `name` for the whole server: every process's part, merged. */
export async function collectFromWorkers(
  name: string,
  query: Record<string, string> = {},
  timeoutMs = COLLECT_TIMEOUT_MS,
): Promise<unknown> {
  const parts = await collectParts(name, query, timeoutMs);
  return (sources.get(name)?.merge ?? mergeNewestFirst)(parts);
}
