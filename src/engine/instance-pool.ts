/**
 * Where instances come from and where they go after a request.
 * - fresh: each request gets an instance in its just-instantiated state: made ahead of time
 *   (pre-warmed), or one that served a request cleanly and was reset to its snapshot (memories,
 *   globals, tables), which costs a memory copy instead of an instantiation.
 * - reuse: an instance serves requests one after another (a WASI 0.2 instance is not re-entrant,
 *   so never two at once), up to maxRequests; idle ones are dropped after idleTimeoutMs.
 * Either way an instance that trapped or misbehaved is never handed out again.
 */
import type { LifecycleSpec } from '../manifest/app.ts';

export interface PooledInstance {
  /** Releases what the instance holds on the host (open files, buffered output). */
  dispose(): void;
  /** Puts the instance back into its just-instantiated state; false when it cannot be. */
  reset?(): boolean;
}

export interface Lease<T extends PooledInstance> {
  instance: T;
  /** `reusable: false` after a trap or a broken request: the instance is disposed, never reused. */
  release(outcome: { reusable: boolean }): void;
}

export interface InstancePool<T extends PooledInstance> {
  acquire(): Promise<Lease<T>>;
  /** Instances made ahead or kept idle right now. */
  readonly idle: number;
  /** Released instances are reset to their just-instantiated state (`fresh`), not reused as they are. */
  readonly resets: boolean;
  /** Drops every idle instance; leases still out are disposed when released. */
  close(): void;
}

export type InstanceFactory<T extends PooledInstance> = () => Promise<T>;

export function createInstancePool<T extends PooledInstance>(
  factory: InstanceFactory<T>,
  lifecycle: LifecycleSpec,
  onError: (error: unknown) => void,
  concurrency = 1,
): InstancePool<T> {
  return lifecycle.mode === 'fresh'
    ? new FreshPool(factory, lifecycle.prewarm, onError)
    : new ReusePool(factory, lifecycle.maxRequests, lifecycle.idleTimeoutMs, concurrency);
}

/** Ready instances kept beyond `prewarm` after a burst, until the pool has been idle this long. */
const FRESH_IDLE_TRIM_MS = 1000;
/** The most ready instances a fresh pool keeps, whatever the burst was (bounds memory). */
const FRESH_MAX_READY = 32;

class FreshPool<T extends PooledInstance> implements InstancePool<T> {
  readonly resets = true;
  readonly #factory: InstanceFactory<T>;
  readonly #prewarm: number;
  readonly #onError: (error: unknown) => void;
  readonly #ready: T[] = [];
  readonly #trim: NodeJS.Timeout;
  #making = 0;
  #lastAcquire = 0;
  #closed = false;

  constructor(factory: InstanceFactory<T>, prewarm: number, onError: (error: unknown) => void) {
    this.#factory = factory;
    this.#prewarm = prewarm;
    this.#onError = onError;
    this.#trim = setInterval(() => this.#trimIdle(), FRESH_IDLE_TRIM_MS).unref();
    this.#refill();
  }

  get idle(): number {
    return this.#ready.length;
  }

  async acquire(): Promise<Lease<T>> {
    this.#lastAcquire = performance.now();
    const instance = this.#ready.pop() ?? (await this.#factory());
    this.#refill();
    return { instance, release: ({ reusable }) => this.#release(instance, reusable) };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#trim);
    for (const instance of this.#ready.splice(0)) instance.dispose();
  }

  #release(instance: T, reusable: boolean): void {
    const keep = reusable && !this.#closed && this.#ready.length < FRESH_MAX_READY;
    if (keep && instance.reset?.()) {
      this.#ready.push(instance);
      return;
    }
    instance.dispose();
  }

  /** Tops the ready list up after the current turn, so the request in hand goes first. */
  #refill(): void {
    while (!this.#closed && this.#ready.length + this.#making < this.#prewarm) {
      this.#making++;
      setImmediate(() => {
        this.#factory()
          .then((instance) => (this.#closed ? instance.dispose() : this.#ready.push(instance)))
          .catch(this.#onError)
          .finally(() => this.#making--);
      });
    }
  }

  /** Pools shrink when idle: back down to the pre-warmed count. */
  #trimIdle(): void {
    if (performance.now() - this.#lastAcquire < FRESH_IDLE_TRIM_MS) return;
    while (this.#ready.length > this.#prewarm) this.#ready.shift()?.dispose();
  }
}

interface ReuseEntry<T> {
  instance: T;
  /** Requests served to the end. */
  uses: number;
  /** Requests being served right now. */
  inFlight: number;
  /** A request failed on it: it takes no new one and goes once the last one ends. */
  broken: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * `reuse`: an instance serves request after request. A WASI 0.2 instance is not re-entrant, so it
 * serves one at a time (`concurrency` 1); a WASI 0.3 one runs several calls at once as async tasks.
 */
class ReusePool<T extends PooledInstance> implements InstancePool<T> {
  readonly resets = false;
  readonly #factory: InstanceFactory<T>;
  readonly #maxRequests: number;
  readonly #idleTimeoutMs: number;
  readonly #concurrency: number;
  /** Most recently used last: hot instances are reused first, cold ones time out. */
  readonly #live: ReuseEntry<T>[] = [];
  #closed = false;

  constructor(factory: InstanceFactory<T>, maxRequests: number, idleTimeoutMs: number, concurrency: number) {
    this.#factory = factory;
    this.#maxRequests = maxRequests;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#concurrency = concurrency;
  }

  get idle(): number {
    return this.#live.filter((e) => e.inFlight === 0).length;
  }

  async acquire(): Promise<Lease<T>> {
    let entry = this.#available();
    if (!entry) {
      const instance = await this.#factory();
      // Another acquire may have made room meanwhile; this instance is used either way.
      entry = { instance, uses: 0, inFlight: 0, broken: false, timer: undefined };
      this.#live.push(entry);
    }
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.inFlight++;
    const taken = entry;
    return { instance: taken.instance, release: ({ reusable }) => this.#release(taken, reusable) };
  }

  close(): void {
    this.#closed = true;
    for (const entry of this.#live.filter((e) => e.inFlight === 0)) this.#drop(entry);
  }

  /** The most recently used instance that can take one more request now. */
  #available(): ReuseEntry<T> | undefined {
    for (let i = this.#live.length - 1; i >= 0; i--) {
      const e = this.#live[i] as ReuseEntry<T>;
      if (!e.broken && e.inFlight < this.#concurrency && e.uses + e.inFlight < this.#maxRequests) return e;
    }
    return undefined;
  }

  #release(entry: ReuseEntry<T>, reusable: boolean): void {
    entry.inFlight--;
    entry.uses++;
    if (!reusable) entry.broken = true;
    if (entry.inFlight > 0) return;
    if (entry.broken || this.#closed || entry.uses >= this.#maxRequests) {
      this.#drop(entry);
      return;
    }
    // Idle now: to the hot end, and dropped if nothing comes for it in time.
    this.#live.splice(this.#live.indexOf(entry), 1);
    this.#live.push(entry);
    entry.timer = setTimeout(() => this.#drop(entry), this.#idleTimeoutMs);
    entry.timer.unref();
  }

  #drop(entry: ReuseEntry<T>): void {
    clearTimeout(entry.timer);
    const at = this.#live.indexOf(entry);
    if (at >= 0) this.#live.splice(at, 1);
    entry.instance.dispose();
  }
}
