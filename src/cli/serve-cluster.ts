/**
 * All cores: the primary process forks one worker per core; each runs the same `skiff up` with its
 * own event loop, instances and compiled modules. A worker that dies is replaced; the primary prints
 * the ready line once every worker listens, and on SIGINT/SIGTERM lets each finish in-flight requests.
 *
 * Connections: the workers share one listening socket (also for port 0) and the kernel hands each new
 * connection to a worker that accepts it (SCHED_NONE). Node's default on Linux (SCHED_RR) has the
 * primary accept every connection and pass it to a worker over IPC, keeping its own copy open until
 * the worker acknowledges it: a worker killed between the two leaves that client connected to the
 * primary with no answer and no reset, forever. With SCHED_NONE the primary never holds an accepted
 * connection; a dead worker's connections close with it and the ones still queued go to the others.
 *
 * Balance: keep-alive clients stay on the worker they first reached, so those that reconnected to the
 * survivors while a replacement started would never move, and the kernel does not always spread a
 * burst of new connections evenly. Each worker tells the primary how many connections it holds; the
 * primary asks one holding clearly more than its share to close the excess, each after its next
 * response (`Connection: close`, so no request is cut off), and the clients reconnect.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface WorkerReady {
  url: string;
  routes: Array<{ route: string; component: string }>;
}

type WorkerMessage =
  | { type: 'ready'; ready: WorkerReady }
  | { type: 'failed'; message: string }
  /** The connections a worker holds, not counting those it was asked to close. */
  | { type: 'connections'; count: number };

type PrimaryMessage = { type: 'stop' } | { type: 'shed'; count: number };

/** How often at most a worker reports a changed connection count. */
const REPORT_INTERVAL_MS = 100;

/** Connections `held` of a fair share `fair` that a worker should close: none while it is close to fair. */
function excessConnections(held: number, fair: number): number {
  const tolerance = Math.max(2, Math.ceil(fair / 8));
  return held > fair + tolerance ? held - Math.ceil(fair) : 0;
}

/** Runs in the primary: forks `count` workers and supervises them until a signal stops them. */
export async function runPrimary(count: number, onReady: (ready: WorkerReady) => void): Promise<number> {
  // Set here rather than trusting NODE_CLUSTER_SCHED_POLICY: round-robin strands connections (above).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  let announced = false;
  const readyWorkers = new Set<number>();
  /** Last reported connection count of each ready worker. */
  const held = new Map<number, number>();
  const send = (worker: Worker | undefined, message: PrimaryMessage) => {
    // A worker that failed at start, or just died, has already closed its channel.
    if (worker?.isConnected()) worker.send(message);
  };
  const rebalance = () => {
    if (stopping || readyWorkers.size < 2) return;
    let total = 0;
    for (const id of readyWorkers) total += held.get(id) ?? 0;
    const fair = total / readyWorkers.size;
    for (const id of readyWorkers) {
      const excess = excessConnections(held.get(id) ?? 0, fair);
      if (excess === 0) continue;
      // Counted as gone now, so that the next report does not ask for the same connections again.
      held.set(id, (held.get(id) ?? 0) - excess);
      send(cluster.workers?.[id], { type: 'shed', count: excess });
    }
  };
  return new Promise<number>((resolve) => {
    const finishWith = (code: number) => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) send(worker, { type: 'stop' });
      const waitForExit = () =>
        Object.keys(cluster.workers ?? {}).length === 0 ? resolve(code) : setTimeout(waitForExit, 20);
      waitForExit();
    };
    const fork = (): Worker => {
      const worker = cluster.fork();
      // A send racing a worker's exit fails with EPIPE; the exit handler deals with the worker.
      worker.on('error', () => {});
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'failed') {
          // Every worker fails the same way at start (e.g. port in use): say it once.
          if (!stopping) process.stderr.write(`error: ${message.message}\n`);
          if (!announced) finishWith(1);
          return;
        }
        if (message.type === 'connections') {
          if (!readyWorkers.has(worker.id)) return;
          held.set(worker.id, message.count);
          rebalance();
          return;
        }
        // Others share the channel (the admin listener's answers): only `ready` is left for here.
        if (message.type !== 'ready') return;
        readyWorkers.add(worker.id);
        held.set(worker.id, 0);
        if (!announced && readyWorkers.size === count) {
          announced = true;
          onReady(message.ready);
        }
        // A replacement starts empty: the survivors took its predecessor's clients.
        if (announced) rebalance();
      });
      worker.on('exit', (code, signal) => {
        readyWorkers.delete(worker.id);
        held.delete(worker.id);
        if (stopping) return;
        if (!announced) {
          finishWith(code || 1);
          return;
        }
        process.stderr.write(
          `warning: worker ${worker.process.pid} exited (${signal ?? code}); starting a new one\n`,
        );
        fork();
      });
      return worker;
    };
    for (let i = 0; i < count; i++) fork();
    const stop = (signal: string) => {
      if (stopping) return;
      process.stderr.write(`${signal}: finishing in-flight requests\n`);
      finishWith(0);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * In a worker: counts the server's open connections for the primary, and closes the ones the primary
 * asks it to shed after their next response.
 */
function shareConnections(server: Server, send: (message: WorkerMessage) => void): () => void {
  const open = new Set<Socket>();
  const leaving = new WeakSet<Socket>();
  let reported = 0;
  let timer: NodeJS.Timeout | undefined;
  /** After a shed, the primary's guess of the count may be off: it gets the real one either way. */
  let force = false;
  let stopped = false;
  const report = () => {
    if (stopped) return;
    timer ??= setTimeout(() => {
      timer = undefined;
      if (open.size !== reported || force) {
        force = false;
        reported = open.size;
        send({ type: 'connections', count: reported });
      }
    }, REPORT_INTERVAL_MS).unref();
  };
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    report();
    socket.once('close', () => {
      open.delete(socket);
      report();
    });
  });
  // Runs before the request handler, so the header goes out with this response.
  server.prependListener('request', (req, res) => {
    if (leaving.has(req.socket)) res.setHeader('connection', 'close');
  });
  const shed = (count: number) => {
    for (const socket of open) {
      if (count-- <= 0) break;
      open.delete(socket);
      leaving.add(socket);
    }
    force = true;
    report();
  };
  const onMessage = (message: PrimaryMessage) => message.type === 'shed' && shed(message.count);
  process.on('message', onMessage);
  return () => {
    stopped = true;
    process.off('message', onMessage);
    clearTimeout(timer);
  };
}

/** Runs in a worker: reports readiness (or a startup failure) and waits for the primary's stop. */
export async function runWorker(
  start: () => Promise<{ ready: WorkerReady; server: Server; close(): Promise<void> }>,
): Promise<number> {
  const send = (message: WorkerMessage) => {
    if (process.connected) process.send?.(message);
  };
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start();
  } catch (e) {
    send({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    // The IPC channel would keep this process alive.
    process.disconnect?.();
    return 1;
  }
  const stopSharing = shareConnections(running.server, send);
  send({ type: 'ready', ready: running.ready });
  await new Promise<void>((done) => {
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      stopSharing();
      running.close().then(done);
    };
    process.on('message', (message: PrimaryMessage) => message.type === 'stop' && stop());
    // A terminal's Ctrl-C reaches every process of the group: the worker just joins the shutdown.
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('disconnect', stop);
  });
  process.disconnect?.();
  return 0;
}

export const isClusterWorker = (): boolean => cluster.isWorker;
