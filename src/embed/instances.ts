/**
 * Which instance of a loaded component a call runs in, and the limits it runs under.
 *
 * - `reuse` (the default): one instance serves call after call, so guest state — caches, and the
 *   resources the app holds (a tokenizer, a counter) — lives across calls. A WASI 0.2 instance is
 *   not re-entrant, so calls take turns in the order they were made.
 * - `fresh`: every call gets an instance in its just-instantiated state (pre-made, or reset to its
 *   snapshot: a memory copy, not an instantiation), so nothing one call leaves behind reaches the
 *   next, and calls run side by side. A resource cannot outlive the call that made it, so functions
 *   that take or return resources are refused.
 *
 * Either way, a call that times out, runs past its CPU budget or traps has its instance discarded
 * (its state cannot be trusted, and a trapped instance cannot be entered again); the next call gets
 * a new one. The guest is time-sliced (time-slice.ts), so a spinning call never stops the rest of
 * the app: it yields every quantum, and is stopped at its deadline.
 */
import { ComponentError } from '../engine/binding/canonical-abi/trap.ts';
import type { GuestExports } from '../engine/component.ts';
import { createInstancePool, type InstancePool, type PooledInstance } from '../engine/instance-pool.ts';
import type { Deadline } from '../engine/interrupt/guest-deadline.ts';
import { CpuAccount } from '../engine/interrupt/time-slice.ts';
import { CpuLimitExceeded, DeadlineExceeded, withDeadline } from '../engine/interrupt/with-deadline.ts';
import { guestBacktrace } from '../engine/trap.ts';
import { ComponentCallError } from './call-errors.ts';
import type { ResourceOwner } from './resource-handles.ts';

export type Lifecycle = 'reuse' | 'fresh';

export interface LiveInstance extends PooledInstance, ResourceOwner {
  exports: GuestExports;
  deadline: Deadline;
}

export interface CallLimits {
  timeoutMs: number;
  maxCpuMs: number;
}

export interface InstanceModel {
  /**
   * Runs `body` (which calls into the guest once) in an instance under the limits. The resources a
   * call passes must come from that instance (ResourceHandles checks as it converts them).
   */
  run<T>(site: string, body: (instance: LiveInstance) => Promise<T>): Promise<T>;
  /** Makes an instance now, so a component that cannot be instantiated fails at load. */
  start(): Promise<void>;
  /** Waits for the calls already made, then disposes of the instances; later calls are refused. */
  close(): Promise<void>;
}

export function instanceModel(
  lifecycle: Lifecycle,
  file: string,
  limits: CallLimits,
  instantiate: () => Promise<LiveInstance>,
  onError: (error: unknown) => void,
): InstanceModel {
  return lifecycle === 'fresh'
    ? new FreshInstances(file, limits, instantiate, onError)
    : new ReusedInstance(file, limits, instantiate);
}

/** Thrown for calls made after close(). */
function closedError(file: string): Error {
  return new Error(`${file}: this component was closed; load it again to call it`);
}

class ReusedInstance implements InstanceModel {
  readonly #file: string;
  readonly #limits: CallLimits;
  readonly #instantiate: () => Promise<LiveInstance>;
  #current: LiveInstance | undefined;
  /** The last call made: the next one starts once it settled. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(file: string, limits: CallLimits, instantiate: () => Promise<LiveInstance>) {
    this.#file = file;
    this.#limits = limits;
    this.#instantiate = instantiate;
  }

  async start(): Promise<void> {
    this.#current = await this.#instantiate();
  }

  run<T>(site: string, body: (instance: LiveInstance) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError(this.#file));
    const turn = this.#queue.then(async () => {
      this.#current ??= await this.#instantiate();
      const instance = this.#current;
      return limitedCall(this.#file, site, this.#limits, instance, body, (reason) => {
        instance.discarded = reason;
        instance.dispose();
        if (this.#current === instance) this.#current = undefined;
      });
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    if (this.#current) {
      this.#current.discarded = 'the component was closed';
      this.#current.dispose();
      this.#current = undefined;
    }
  }
}

class FreshInstances implements InstanceModel {
  readonly #file: string;
  readonly #limits: CallLimits;
  readonly #pool: InstancePool<LiveInstance>;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(
    file: string,
    limits: CallLimits,
    instantiate: () => Promise<LiveInstance>,
    onError: (error: unknown) => void,
  ) {
    this.#file = file;
    this.#limits = limits;
    // One made ahead is enough for a plugin called now and then; a burst instantiates on demand.
    this.#pool = createInstancePool(instantiate, { mode: 'fresh', prewarm: 1 }, onError);
  }

  async start(): Promise<void> {
    (await this.#pool.acquire()).release({ reusable: true });
  }

  run<T>(site: string, body: (instance: LiveInstance) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError(this.#file));
    const call = (async () => {
      const lease = await this.#pool.acquire();
      let reusable = true;
      try {
        return await limitedCall(this.#file, site, this.#limits, lease.instance, body, (reason) => {
          lease.instance.discarded = reason;
          reusable = false;
        });
      } finally {
        lease.release({ reusable });
      }
    })();
    this.#inFlight.add(call);
    const forget = () => this.#inFlight.delete(call);
    call.then(forget, forget);
    return call;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#inFlight);
    this.#pool.close();
  }
}

/**
 * One call under its wall-clock timeout and CPU budget. What the guest did wrong becomes a
 * ComponentCallError and `discard` is told why; a guest's `err` result (ComponentError) and a
 * value the caller got wrong (a TypeError raised before the guest was entered) leave the instance
 * as it was.
 */
async function limitedCall<T>(
  file: string,
  site: string,
  limits: CallLimits,
  instance: LiveInstance,
  body: (instance: LiveInstance) => Promise<T>,
  discard: (reason: string) => void,
): Promise<T> {
  const account = new CpuAccount(instance.deadline, limits.maxCpuMs);
  try {
    return await withDeadline(instance.deadline, limits.timeoutMs, () => body(instance), account);
  } catch (e) {
    if (e instanceof DeadlineExceeded) {
      discard(`${site} timed out`);
      throw ComponentCallError.timeout(file, site, e.timeoutMs, e.cause);
    }
    if (e instanceof CpuLimitExceeded) {
      discard(`${site} ran past its CPU limit`);
      throw ComponentCallError.cpuLimit(file, site, e.limitMs, e.usedMs, e.cause);
    }
    if (e instanceof ComponentError || e instanceof ComponentCallError || callerMistake(e)) throw e;
    discard(`${site} trapped`);
    throw ComponentCallError.trap(file, site, e);
  }
}

/** The binder refused an argument before entering the guest: no guest frame in the error's stack. */
const callerMistake = (e: unknown): boolean => e instanceof TypeError && guestBacktrace(e) === '';
