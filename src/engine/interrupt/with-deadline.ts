/**
 * Runs one call into a guest under a wall-clock deadline. Two things can notice it passing:
 * the watchdog thread, when the guest is computing and this thread is stuck in it (the guest
 * traps at its next check), and a timer here, when the guest is suspended on I/O and the thread
 * is free (the guest is tripped so it traps as soon as it resumes; disposing the instance ends
 * its waits). Either way the caller gets a DeadlineExceeded, at most a watchdog tick late.
 */
import { formatDuration } from '../../manifest/duration.ts';
import type { Deadline } from './guest-deadline.ts';

export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  readonly timeoutMs: number;
  /** True when the guest was stopped while computing; false when it was waiting on I/O. */
  readonly whileRunning: boolean;
  constructor(timeoutMs: number, trap: unknown) {
    super(`did not finish within its timeout of ${formatDuration(timeoutMs)}`, { cause: trap });
    this.timeoutMs = timeoutMs;
    this.whileRunning = trap !== undefined;
  }
}

const EXPIRED = Symbol('expired');

/** `call` must make the guest call only once invoked (the deadline is armed just before). */
export async function withDeadline<T>(
  deadline: Deadline,
  timeoutMs: number | undefined,
  call: () => Promise<T>,
): Promise<T> {
  if (timeoutMs === undefined) return call();
  const token = deadline.arm(timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof EXPIRED>((resolve) => {
    timer = setTimeout(() => {
      deadline.interrupt();
      resolve(EXPIRED);
    }, timeoutMs);
  });
  const running = call();
  try {
    const result = await Promise.race([running, expired]);
    if (result === EXPIRED) {
      // The guest unwinds when its wait ends (disposing the instance ends it).
      deadline.abandon(running);
      throw new DeadlineExceeded(timeoutMs, undefined);
    }
    return result;
  } catch (e) {
    if (!(e instanceof DeadlineExceeded) && deadline.expired) throw new DeadlineExceeded(timeoutMs, e);
    throw e;
  } finally {
    clearTimeout(timer);
    deadline.disarm(token);
  }
}
