/**
 * Runs one call into a guest under its limits: a wall-clock deadline and a CPU budget. Two things
 * can notice the deadline passing: the watchdog thread, when the guest is computing and this thread
 * is stuck in it (the guest traps at its next check), and a timer here, when the guest is suspended
 * on I/O and the thread is free (the guest is tripped so it traps as soon as it resumes; disposing
 * the instance ends its waits). Either way the caller gets a DeadlineExceeded, at most a watchdog
 * tick late. The CPU budget is spent only while the guest runs (time-slice.ts); past it the caller
 * gets a CpuLimitExceeded.
 */
import { formatDuration } from '../../manifest/duration.ts';
import type { Deadline } from './guest-deadline.ts';
import { CpuAccount, runAs, settle } from './time-slice.ts';

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

export class CpuLimitExceeded extends Error {
  override name = 'CpuLimitExceeded';
  readonly limitMs: number;
  readonly usedMs: number;
  constructor(limitMs: number, usedMs: number, trap: unknown) {
    super(`used ${usedMs.toFixed(1)} ms of CPU, past its limit of ${formatDuration(limitMs)}`, {
      cause: trap,
    });
    this.limitMs = limitMs;
    this.usedMs = usedMs;
  }
}

const EXPIRED = Symbol('expired');
/** Armed when only a CPU budget is set, so the guest can still be stopped. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * `call` must make the guest call only once invoked (the deadline is armed just before). `account`
 * carries the CPU budget and, afterwards, the CPU the call used.
 */
export async function withDeadline<T>(
  deadline: Deadline,
  timeoutMs: number | undefined,
  call: () => Promise<T>,
  account: CpuAccount = new CpuAccount(deadline),
): Promise<T> {
  const token = deadline.arm(timeoutMs ?? NO_TIMEOUT_MS);
  let timer: NodeJS.Timeout | undefined;
  const expired =
    timeoutMs === undefined
      ? undefined
      : new Promise<typeof EXPIRED>((resolve) => {
          timer = setTimeout(() => {
            deadline.interrupt();
            // A guest suspended in a yield traps as it resumes, on the next turn, with its backtrace.
            if (account.yielding === 0) resolve(EXPIRED);
          }, timeoutMs);
        });
  const running = runAs(account, call);
  try {
    const result = expired ? await Promise.race([running, expired]) : await running;
    if (result === EXPIRED) {
      // The guest unwinds when its wait ends (disposing the instance ends it).
      deadline.abandon(running);
      throw new DeadlineExceeded(timeoutMs as number, undefined);
    }
    return result;
  } catch (e) {
    if (e instanceof DeadlineExceeded || !deadline.expired) throw e;
    settle(account);
    if (account.exceeded) throw new CpuLimitExceeded(account.limitMs as number, account.usedMs, e);
    throw new DeadlineExceeded(timeoutMs ?? NO_TIMEOUT_MS, e);
  } finally {
    settle(account);
    account.closed = true;
    clearTimeout(timer);
    deadline.disarm(token);
  }
}
