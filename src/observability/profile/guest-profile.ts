/**
 * A guest CPU profile: sampled call stacks whose frames are the guests' own functions, with the
 * host's frames folded into a few named buckets. Plain JSON data, so a worker can send it to the
 * process that serves it, and profiles of several workers can be merged.
 */
import type { Profiler } from 'node:inspector';

/** What a frame stands for. */
export type FrameKind =
  /** A function of a guest's core module, by its demangled name-section name. */
  | 'guest'
  /** The component a run of guest frames belongs to (inserted above its first frame). */
  | 'component'
  /** A run of host frames (Skiff's JavaScript, Node's, V8's), as one bucket. */
  | 'host';

export interface ProfileFrame {
  kind: FrameKind;
  /** What the flame graph shows: `hostile::fib`, `hostile`, `host: wasi:http`. */
  name: string;
  /** For guest and component frames: the component's id. */
  component?: string;
  /** For guest frames whose name was demangled: the symbol as the name section has it. */
  symbol?: string;
}

/** One distinct call stack and how often it was sampled. */
export interface ProfileStack {
  /** Indices into `GuestProfile.frames`, outermost first. */
  frames: number[];
  samples: number;
  /** The time those samples stand for (each sample lasts until the next one), in microseconds. */
  timeUs: number;
}

export interface GuestProfile {
  /** The component the stacks were narrowed to; absent when every sample is kept. */
  component?: string;
  /** When sampling started (ISO 8601). */
  startedAt: string;
  /** How long sampling ran, as V8 measured it. */
  durationMs: number;
  intervalUs: number;
  /** Samples the thread took, kept or not. */
  totalSamples: number;
  /** Samples kept: `totalSamples`, or those whose stack passes through `component`. */
  samples: number;
  /** The components whose frames appear in the kept stacks, sorted. */
  components: string[];
  frames: ProfileFrame[];
  stacks: ProfileStack[];
  /**
   * V8's own profile of the whole thread (every sample, every host frame), with guest function
   * names demangled: a `.cpuprofile` for Chrome DevTools or speedscope. Absent in merged profiles.
   */
  cpuProfile?: Profiler.Profile;
}

/** What makes two frames the same frame (profiles are merged by it). */
export function frameKey(frame: Pick<ProfileFrame, 'kind' | 'component' | 'symbol' | 'name'>): string {
  return `${frame.kind}\0${frame.component ?? ''}\0${frame.symbol ?? frame.name}`;
}
