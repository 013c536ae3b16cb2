/**
 * The mixed-load benchmark's client: a fixed number of keep-alive connections, each sending one
 * request after another (closed loop, like wrk), choosing each request's path at random from a
 * weighted mix with a seeded generator, so every server gets the same sequence (or, with `split`,
 * each connection keeping to one path). wrk cannot report
 * latency per path, hence this client. Every request started in the measured window is accounted
 * for: answered (by status), failed (by error code) or timed out — none is dropped.
 */
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { stats, type TimingStats } from './stats.ts';

export interface MixClass {
  /** The label in the report, e.g. `/ok`. */
  name: string;
  /** Path and query sent. */
  path: string;
  /** Share of requests, 0–1; the shares of a mix add up to 1. */
  share: number;
  /** The body a correct answer carries; a 2xx with another body counts as `wrong body`. */
  body: string;
}

export interface MixLoad {
  connections: number;
  warmupS: number;
  durationS: number;
  /** A request not answered in full by then is destroyed and counted as a timeout. */
  timeoutS: number;
  seed: number;
  /**
   * Connections per class, in mix order (adding up to `connections`): each connection then sends
   * only its class's path and the shares are ignored. Undefined: every connection draws each
   * request's path from the shares.
   */
  split?: number[];
}

export interface ClassResult {
  name: string;
  path: string;
  /** Requests started in the measured window. */
  sent: number;
  /** Status code (`200`), error code (`ECONNRESET`), `timeout` or `wrong body` → count. */
  outcomes: Record<string, number>;
  /** 2xx answers with the expected body, per second of the measured window. */
  okPerSec: number;
  /** Every answered request (any status), in microseconds; undefined when none was answered. */
  latency?: TimingStats;
}

export interface MixResult {
  durationS: number;
  classes: ClassResult[];
  /** Requests of the warm-up that did not get a correct 2xx answer, by outcome. */
  warmupFailures: Record<string, number>;
  /** The client's own event-loop delay during the measured window (p99, ms): a busy client inflates latencies. */
  clientLoopDelayP99Ms: number;
}

/** mulberry32: a small seeded generator, so the sequence of paths is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Outcome {
  outcome: string;
  /** Set when an answer arrived in full (any status). */
  us?: number;
}

function send(agent: Agent, url: URL, expected: string, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => {
        const us = (performance.now() - started) * 1000;
        const status = res.statusCode ?? 0;
        const wrong = status >= 200 && status < 300 && Buffer.concat(chunks).toString() !== expected;
        finish({ outcome: wrong ? 'wrong body' : String(status), us });
      });
      res.once('error', (e: NodeJS.ErrnoException) => finish({ outcome: e.code ?? 'response error' }));
    });
    // One deadline for the whole exchange (a socket timeout would restart on every byte).
    timer = setTimeout(() => {
      finish({ outcome: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.once('error', (e: NodeJS.ErrnoException) => finish({ outcome: e.code ?? 'request error' }));
    req.end();
  });
}

/** The class whose share covers `r` (0 ≤ r < 1) when the shares are laid end to end. */
function choose(mix: MixClass[], r: number): number {
  let end = 0;
  for (const [i, c] of mix.entries()) {
    end += c.share;
    if (r < end) return i;
  }
  return mix.length - 1;
}

/** The class of connection `index` when `split` gives each class a number of connections. */
function owner(split: number[], index: number): number {
  let end = 0;
  for (const [i, n] of split.entries()) {
    end += n;
    if (index < end) return i;
  }
  return split.length - 1;
}

const LOOP_SAMPLE_MS = 1;

const isOk = (outcome: string) => /^2\d\d$/.test(outcome);

/** Runs the warm-up and then the measured window back to back, and waits for the last request. */
export async function runMix(baseUrl: string, mix: MixClass[], load: MixLoad): Promise<MixResult> {
  const urls = mix.map((c) => new URL(c.path, baseUrl));
  const perClass = mix.map(() => ({ sent: 0, outcomes: {} as Record<string, number>, us: [] as number[] }));
  const warmupFailures: Record<string, number> = {};
  const delay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  const start = performance.now();
  const measureFrom = start + load.warmupS * 1000;
  const measureUntil = measureFrom + load.durationS * 1000;
  setTimeout(() => delay.enable(), load.warmupS * 1000).unref();

  const connection = async (index: number) => {
    // maxSockets 1: each loop is one connection, replaced only after an error or a timeout.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const next = random(load.seed + index);
    const own = load.split ? owner(load.split, index) : undefined;
    for (let now = performance.now(); now < measureUntil; now = performance.now()) {
      const pick = own ?? choose(mix, next());
      const measured = now >= measureFrom;
      const o = await send(agent, urls[pick] as URL, (mix[pick] as MixClass).body, load.timeoutS * 1000);
      if (measured) {
        const c = perClass[pick] as (typeof perClass)[number];
        c.sent++;
        c.outcomes[o.outcome] = (c.outcomes[o.outcome] ?? 0) + 1;
        if (o.us !== undefined) c.us.push(o.us);
      } else if (!isOk(o.outcome)) {
        warmupFailures[o.outcome] = (warmupFailures[o.outcome] ?? 0) + 1;
      }
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: load.connections }, (_, i) => connection(i)));
  delay.disable();

  return {
    durationS: load.durationS,
    classes: mix.map((c, i) => {
      const r = perClass[i] as (typeof perClass)[number];
      const ok = Object.entries(r.outcomes).reduce((n, [k, v]) => n + (isOk(k) ? v : 0), 0);
      return {
        name: c.name,
        path: c.path,
        sent: r.sent,
        outcomes: r.outcomes,
        okPerSec: ok / load.durationS,
        latency: r.us.length > 0 ? stats(r.us) : undefined,
      };
    }),
    warmupFailures,
    // The histogram holds whole intervals between samples: the delay is what exceeds the interval.
    clientLoopDelayP99Ms: delay.count > 0 ? Math.max(0, delay.percentile(99) / 1e6 - LOOP_SAMPLE_MS) : 0,
  };
}

/** Median time of `count` requests sent one at a time to an otherwise idle server, in microseconds. */
export async function aloneUs(baseUrl: string, c: MixClass, count: number): Promise<number | undefined> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(c.path, baseUrl);
  const us: number[] = [];
  for (let i = 0; i < count; i++) {
    const o = await send(agent, url, c.body, 30_000);
    if (o.us !== undefined && isOk(o.outcome)) us.push(o.us);
  }
  agent.destroy();
  return us.length > 0 ? stats(us).p50Us : undefined;
}
