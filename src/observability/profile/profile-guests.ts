/**
 * Samples this thread — where Skiff runs its guests — with V8's CPU profiler, through the
 * inspector API (no flag, no debugger: the debugger would switch wasm to slower debug code), and
 * returns the samples as a GuestProfile. One profile at a time per thread.
 */
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildGuestProfile } from './build-profile.ts';
import { loadDemangler } from './demangle.ts';
import type { GuestProfile } from './guest-profile.ts';
import { loadedComponentIds, loadedComponents } from './loaded-components.ts';
import { ProfileError } from './profile-error.ts';

export interface ProfileOptions {
  /** How long to sample, in milliseconds. */
  durationMs: number;
  /** Keep only the stacks that pass through this component (its id in its app). */
  component?: string | undefined;
  /** Time between samples, in microseconds; 1000 (1 kHz) when absent. */
  intervalUs?: number | undefined;
  /** Stops sampling early; the promise then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** V8's own default: fine enough for a few seconds of a busy guest, cheap enough to leave on. */
export const DEFAULT_INTERVAL_US = 1000;
/** Below this, sampling costs a busy guest more than a fifth of its CPU (bench/profile-overhead.ts). */
export const MIN_INTERVAL_US = 100;
/** Past a second between samples, a profile of a few seconds says nothing. */
export const MAX_INTERVAL_US = 1_000_000;
/** A minute at 1 kHz is 60,000 samples: a raw profile of a few megabytes, held in memory. */
export const MAX_DURATION_MS = 60_000;

let profiling: { endsAt: number } | undefined;

/** Profiles the guests running on this thread for `durationMs`. */
export async function profileGuests(options: ProfileOptions): Promise<GuestProfile> {
  const { durationMs, component } = options;
  const intervalUs = options.intervalUs ?? DEFAULT_INTERVAL_US;
  checkRange('durationMs', durationMs, 1, MAX_DURATION_MS, 'milliseconds');
  checkRange('intervalUs', intervalUs, MIN_INTERVAL_US, MAX_INTERVAL_US, 'microseconds');
  if (component !== undefined) checkComponent(component);
  if (profiling) {
    const left = Math.max(0, Math.ceil((profiling.endsAt - Date.now()) / 1000));
    throw new ProfileError(
      'busy',
      'a guest CPU profile is already being taken in this process',
      `wait for it to finish (about ${left} s left), then ask again`,
    );
  }
  profiling = { endsAt: Date.now() + durationMs };
  const session = new Session();
  try {
    // Compiled before sampling starts, so that its compilation is not in the profile.
    const demangle = await loadDemangler();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    const startedAt = new Date();
    await session.post('Profiler.start');
    const aborted = await sleep(durationMs, undefined, { signal: options.signal }).then(
      () => undefined,
      (reason: unknown) => ({ reason }),
    );
    const { profile } = await session.post('Profiler.stop');
    if (aborted) throw options.signal?.aborted ? options.signal.reason : aborted.reason;
    return buildGuestProfile(profile, {
      component,
      intervalUs,
      startedAt,
      components: loadedComponents(),
      demangle,
    });
  } finally {
    session.disconnect();
    profiling = undefined;
  }
}

function checkRange(option: string, value: number, min: number, max: number, unit: string): void {
  if (Number.isFinite(value) && value >= min && value <= max) return;
  throw new ProfileError(
    'bad-option',
    `${option} is ${value}, outside ${min}…${max} ${unit}`,
    `give ${option} a number of ${unit} from ${min} to ${max}`,
  );
}

function checkComponent(component: string): void {
  const loaded = loadedComponentIds();
  if (loaded.includes(component)) return;
  throw new ProfileError(
    'unknown-component',
    `no component "${component}" is loaded in this process; loaded: ${loaded.length > 0 ? loaded.join(', ') : '(none)'}`,
    loaded.length > 0
      ? 'name one of the loaded components, or leave the component out to profile them all'
      : 'load an app first (skiff up, or loadApp in an embedding)',
  );
}
