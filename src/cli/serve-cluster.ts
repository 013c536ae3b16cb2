/**
 * All cores: the primary process forks one worker per core; each runs the same `skiff up` with its
 * own event loop, instances and compiled modules, and the OS spreads connections over them (node:cluster
 * shares one listening socket, also for port 0). A worker that dies is replaced; the primary prints
 * the ready line once every worker listens, and on SIGINT/SIGTERM lets each finish in-flight requests.
 */
import cluster, { type Worker } from 'node:cluster';

export interface WorkerReady {
  url: string;
  routes: Array<{ route: string; component: string }>;
}

type WorkerMessage = { type: 'ready'; ready: WorkerReady } | { type: 'failed'; message: string };

/** Runs in the primary: forks `count` workers and supervises them until a signal stops them. */
export async function runPrimary(count: number, onReady: (ready: WorkerReady) => void): Promise<number> {
  let stopping = false;
  let announced = false;
  const readyWorkers = new Set<number>();
  return new Promise<number>((resolve) => {
    const finishWith = (code: number) => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) {
        // A worker that failed at start has already closed its channel.
        if (worker?.isConnected()) worker.send({ type: 'stop' });
      }
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
        readyWorkers.add(worker.id);
        if (!announced && readyWorkers.size === count) {
          announced = true;
          onReady(message.ready);
        }
      });
      worker.on('exit', (code, signal) => {
        readyWorkers.delete(worker.id);
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

/** Runs in a worker: reports readiness (or a startup failure) and waits for the primary's stop. */
export async function runWorker(
  start: () => Promise<{ ready: WorkerReady; close(): Promise<void> }>,
): Promise<number> {
  const send = (message: WorkerMessage) => process.send?.(message);
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start();
  } catch (e) {
    send({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    // The IPC channel would keep this process alive.
    process.disconnect?.();
    return 1;
  }
  send({ type: 'ready', ready: running.ready });
  await new Promise<void>((done) => {
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      running.close().then(done);
    };
    process.on('message', (message: { type?: string }) => message.type === 'stop' && stop());
    // A terminal's Ctrl-C reaches every process of the group: the worker just joins the shutdown.
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('disconnect', stop);
  });
  process.disconnect?.();
  return 0;
}

export const isClusterWorker = (): boolean => cluster.isWorker;
