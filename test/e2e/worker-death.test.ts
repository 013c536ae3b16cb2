/**
 * `skiff up --workers 2` under load while a worker is killed with SIGKILL, three times: every request
 * gets an answer or fails fast with a closed/reset connection (none is stranded without either), and
 * the keep-alive clients that fled to the surviving worker spread back onto the replacement.
 *
 * Real processes over loopback. Which process holds which connection is read from /proc (the
 * socket inodes in /proc/<pid>/fd matched against /proc/net/tcp), so the test needs Linux.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type SkiffProcess, startSkiffUp } from '../support/skiff-process.ts';

const linuxOnly = process.platform !== 'linux' && 'reads /proc to see which worker holds a connection';

/** Clients that keep one connection open across requests, as browsers and proxies do. */
const KEEP_ALIVE_CLIENTS = 24;
/** Clients that open a new connection for every request, so the cluster is handing out connections at every kill. */
const NEW_CONNECTION_CLIENTS = 8;
const KILLS = 3;
/** Far longer than any answer takes here: a request still unanswered after this is stranded. */
const HANG_MS = 5_000;
/** How long the replacement may take to start and receive its share. */
const SETTLE_MS = 5_000;

type Outcome = 'answered' | 'closed' | 'hung';

/** Direct children of `pid` (the cluster's workers). */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return children.sort((a, b) => a - b);
}

/** The socket inodes a process holds. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1] as string);
      } catch {
        // The descriptor closed while we looked.
      }
    }
  } catch {
    // The process exited.
  }
  return inodes;
}

/** Server-side connections on `port` (not the listening socket): client port → socket inode. */
function connectionsOn(port: number, { established = false } = {}): Map<number, string> {
  const byClientPort = new Map<number, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const state = fields[3] as string; // 01 ESTABLISHED, 08 CLOSE_WAIT, 0A LISTEN, …
    if (state === '0A' || (established && state !== '01')) continue;
    const local = fields[1] as string;
    const remote = fields[2] as string;
    if (Number.parseInt(local.split(':')[1] as string, 16) !== port) continue;
    byClientPort.set(Number.parseInt(remote.split(':')[1] as string, 16), fields[9] as string);
  }
  return byClientPort;
}

/** Runs the load; `stop()` ends it and resolves once every request has settled. */
function startLoad(url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: KEEP_ALIVE_CLIENTS });
  const outcomes: Record<Outcome, number> = { answered: 0, closed: 0, hung: 0 };
  const statuses = new Map<number, number>();
  /** The longest a request took to fail with a closed or reset connection. */
  let slowestFailureMs = 0;
  let running = true;
  const request = (keepAlive: boolean) =>
    new Promise<Outcome>((settle) => {
      const started = Date.now();
      let settled = false;
      const finish = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome === 'closed') slowestFailureMs = Math.max(slowestFailureMs, Date.now() - started);
        settle(outcome);
      };
      const timer = setTimeout(() => {
        finish('hung');
        req.destroy();
      }, HANG_MS);
      const req = get(`${url}/`, keepAlive ? { agent } : { agent: false, headers: { connection: 'close' } });
      req.on('response', (res) => {
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        res.resume();
        res.on('end', () => finish('answered'));
        res.on('error', () => finish('closed'));
      });
      // ECONNRESET, "socket hang up", EPIPE: the connection was closed or reset, which a client sees at once.
      req.on('error', () => finish('closed'));
    });
  const client = async (keepAlive: boolean) => {
    while (running) outcomes[await request(keepAlive)]++;
  };
  const clients = [
    ...Array.from({ length: KEEP_ALIVE_CLIENTS }, () => client(true)),
    ...Array.from({ length: NEW_CONNECTION_CLIENTS }, () => client(false)),
  ];
  return {
    outcomes,
    statuses,
    slowestFailureMs: () => slowestFailureMs,
    /** Client-side ports of the keep-alive connections open now. */
    keepAlivePorts(): number[] {
      const sockets = [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)].flat();
      return sockets.flatMap((socket) => (socket?.localPort ? [socket.localPort] : []));
    },
    async stop() {
      running = false;
      await Promise.all(clients);
      agent.destroy();
    },
  };
}

describe('a worker killed with SIGKILL under load', { skip: linuxOnly, timeout: 60_000 }, () => {
  let skiff: SkiffProcess;
  let load: ReturnType<typeof startLoad>;
  /** Per kill: the share of keep-alive connections the replacement held, at best within SETTLE_MS. */
  const replacementShares: number[] = [];
  /** Each worker's share of the keep-alive connections a second after the last replacement got its own. */
  let finalShares: number[] = [];
  /** Client connections the primary itself holds at the end (it should only listen). */
  let heldByPrimary = -1;
  let exitCode: number | null = null;

  before(async () => {
    skiff = await startSkiffUp(['--workers', '2', '--component', 'fixtures/rust/hello/hello.wasm']);
    const primary = skiff.child.pid as number;
    const port = Number(new URL(skiff.url).port);
    load = startLoad(skiff.url);
    await sleep(1_000);
    /** Keep-alive connections each worker holds now. */
    const keepAliveByWorker = (workers: number[]) => {
      const established = connectionsOn(port, { established: true });
      const inodes = workers.map(socketInodes);
      const counts = workers.map(() => 0);
      let total = 0;
      for (const clientPort of load.keepAlivePorts()) {
        const inode = established.get(clientPort);
        if (inode === undefined) continue;
        total++;
        inodes.forEach((held, i) => {
          if (held.has(inode)) counts[i] = (counts[i] as number) + 1;
        });
      }
      return { counts, total };
    };
    for (let kill = 0; kill < KILLS; kill++) {
      const workers = childPids(primary);
      assert.equal(workers.length, 2, `two workers before kill ${kill + 1}, got ${workers.join(', ')}`);
      const victim = workers[kill % 2] as number;
      process.kill(victim, 'SIGKILL');
      const deadline = Date.now() + SETTLE_MS;
      let best = 0;
      while (Date.now() < deadline) {
        await sleep(100);
        const now = childPids(primary);
        const replacement = now.find((pid) => !workers.includes(pid));
        if (replacement === undefined || now.length !== 2) continue;
        const { counts, total } = keepAliveByWorker(now);
        const share = total === 0 ? 0 : (counts[now.indexOf(replacement)] as number) / total;
        best = Math.max(best, share);
        if (best >= 0.4) break;
      }
      replacementShares.push(best);
    }
    // …and it lasts: a while later both workers still hold a fair part.
    await sleep(1_000);
    const workers = childPids(primary);
    const { counts, total } = keepAliveByWorker(workers);
    finalShares = counts.map((n) => (total === 0 ? 0 : n / total));
    await load.stop();
    const primarySockets = socketInodes(primary);
    heldByPrimary = [...connectionsOn(port).values()].filter((inode) => primarySockets.has(inode)).length;
    exitCode = await skiff.stop('SIGTERM');
  });

  after(async () => {
    await load?.stop();
    await skiff?.stop('SIGKILL');
  });

  test('no request is left without an answer or a reset', (t) => {
    const { outcomes } = load;
    t.diagnostic(`outcomes ${JSON.stringify(outcomes)}; slowest failure ${load.slowestFailureMs()} ms`);
    assert.equal(outcomes.hung, 0, `requests stranded for ${HANG_MS} ms: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.answered > 500, `the load ran: ${JSON.stringify(outcomes)}`);
    // Only the connections the dead workers held can fail: a few dozen per kill at most.
    assert.ok(outcomes.closed < 100 * KILLS, `few failed: ${JSON.stringify(outcomes)}`);
    // …and they fail at once: the client is not left waiting for a worker that is gone.
    assert.ok(load.slowestFailureMs() < 2_000, `a failure took ${load.slowestFailureMs()} ms`);
    assert.deepEqual([...load.statuses.keys()], [200]);
    // Round-robin left each stranded connection open in the primary, for good.
    assert.equal(heldByPrimary, 0, 'client connections still held by the primary');
  });

  test('each replacement gets its share of the keep-alive connections', (t) => {
    const percent = (shares: number[]) => shares.map((share) => `${Math.round(share * 100)}%`).join(' ');
    t.diagnostic(`replacements: ${percent(replacementShares)}; at the end: ${percent(finalShares)}`);
    assert.equal(replacementShares.length, KILLS);
    for (const [i, share] of replacementShares.entries()) {
      assert.ok(
        share >= 0.33,
        `after kill ${i + 1} the replacement held ${Math.round(share * 100)}% of them`,
      );
    }
    assert.equal(finalShares.length, 2);
    for (const share of finalShares) assert.ok(share >= 0.33, `at the end: ${percent(finalShares)}`);
  });

  test('the primary replaced every killed worker and still shuts down gracefully', () => {
    assert.equal(
      skiff.stderr().match(/warning: worker \d+ exited \(SIGKILL\); starting a new one/g)?.length,
      KILLS,
    );
    assert.equal(exitCode, 0, skiff.stderr());
  });
});
