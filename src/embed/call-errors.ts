/**
 * How a call into a loaded component fails for reasons of the guest or its instance: stopped at its
 * timeout or CPU limit, trapped, or made with a resource whose instance is gone. Each message names
 * the component file, the export and the limit, and says what happened to the instance. (A guest's
 * own `err` result is not one of these: it is the binder's `ComponentError`, as in jco.)
 */
import { describeTrap, guestBacktrace } from '../engine/trap.ts';
import { formatDuration } from '../manifest/duration.ts';

export type CallFailure = 'timeout' | 'cpu-limit' | 'trap' | 'stale-resource';

const DISCARDED = 'its instance was discarded (the next call gets a new one)';

export class ComponentCallError extends Error {
  override name = 'ComponentCallError';
  readonly kind: CallFailure;
  /** The component file, as given to loadComponent. */
  readonly file: string;
  /** The export called: `skiff:plugin/api#greet`, `version`. */
  readonly export: string;
  /** The limit it ran into (timeout, CPU), in milliseconds. */
  readonly limitMs: number | undefined;
  /** `guest backtrace:` and the guest's wasm frames, when it was stopped or trapped while running. */
  readonly guestBacktrace: string;

  constructor(
    kind: CallFailure,
    file: string,
    site: string,
    message: string,
    details: { limitMs?: number; cause?: unknown } = {},
  ) {
    super(`${file}: ${site} ${message}`, { cause: details.cause });
    this.kind = kind;
    this.file = file;
    this.export = site;
    this.limitMs = details.limitMs;
    this.guestBacktrace = guestBacktrace(details.cause);
  }

  static timeout(file: string, site: string, limitMs: number, cause: unknown): ComponentCallError {
    return new ComponentCallError(
      'timeout',
      file,
      site,
      `did not finish within its timeout of ${formatDuration(limitMs)}: it was stopped and ${DISCARDED}; raise \`timeout\` if the work needs longer`,
      { limitMs, cause },
    );
  }

  static cpuLimit(file: string, site: string, limitMs: number, usedMs: number, cause: unknown) {
    return new ComponentCallError(
      'cpu-limit',
      file,
      site,
      `used ${usedMs.toFixed(1)} ms of CPU, past its limit of ${formatDuration(limitMs)}: it was stopped and ${DISCARDED}; raise \`maxCpu\` if the work needs more`,
      { limitMs, cause },
    );
  }

  static trap(file: string, site: string, cause: unknown): ComponentCallError {
    return new ComponentCallError(
      'trap',
      file,
      site,
      `trapped, and ${DISCARDED}:\n${describeTrap(cause, '  ')}`,
      {
        cause,
      },
    );
  }

  static staleResource(file: string, site: string, className: string, reason: string): ComponentCallError {
    return new ComponentCallError(
      'stale-resource',
      file,
      site,
      `was given a ${className} made by an instance that was discarded (${reason}); make a new ${className}`,
    );
  }
}
