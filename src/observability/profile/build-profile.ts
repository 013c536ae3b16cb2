/**
 * V8's CPU profile of a thread → a GuestProfile: each sampled stack with its guest frames named by
 * their demangled functions under the component they belong to, each run of host frames as one
 * bucket, and, when asked for one component, only the stacks that pass through it.
 */
import type { Profiler, Runtime } from 'node:inspector';
import { CHECKPOINT_NAME } from '../../engine/interrupt/instrument.ts';
import type { Demangle } from './demangle.ts';
import { frameKey, type GuestProfile, type ProfileFrame, type ProfileStack } from './guest-profile.ts';
import { decidingBucket, fallbackBucket, HOST_BUCKET, isWasmWrapper } from './host-buckets.ts';
import type { LoadedComponent } from './loaded-components.ts';
import { type ScriptOwner, scriptOwners } from './script-owners.ts';

export interface BuildOptions {
  component?: string | undefined;
  intervalUs: number;
  startedAt: Date;
  components: readonly LoadedComponent[];
  demangle: Demangle;
}

/** A frame of a raw stack, before runs are folded and components placed. */
type RawFrame =
  | { kind: 'guest'; symbol: string; components: readonly string[] }
  | { kind: 'host'; callFrame: Runtime.CallFrame; bucket: string | undefined };

export function buildGuestProfile(profile: Profiler.Profile, options: BuildOptions): GuestProfile {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const owners = scriptOwners(profile.nodes, options.components);
  const frames = new FrameTable(options.demangle);

  const stackOfNode = new Map<number, ProfileStack | null>();
  const stacks = new Map<string, ProfileStack>();
  const stackOf = (nodeId: number): ProfileStack | null => {
    const known = stackOfNode.get(nodeId);
    if (known !== undefined) return known;
    const raw: RawFrame[] = [];
    for (let id: number | undefined = nodeId; id !== undefined; id = parents.get(id)) {
      const node = nodes.get(id);
      if (node && parents.has(id)) raw.push(rawFrame(node.callFrame, owners)); // (root) has no parent
    }
    raw.reverse();
    const indices = foldStack(raw, options.component, frames);
    let stack: ProfileStack | null = null;
    if (indices) {
      const key = indices.join(',');
      stack = stacks.get(key) ?? { frames: indices, samples: 0, timeUs: 0 };
      stacks.set(key, stack);
    }
    stackOfNode.set(nodeId, stack);
    return stack;
  };

  const times = sampleTimes(profile);
  let kept = 0;
  profile.samples?.forEach((nodeId, i) => {
    const stack = stackOf(nodeId);
    if (!stack) return;
    stack.samples++;
    stack.timeUs += times[i] ?? 0;
    kept++;
  });
  demangleInPlace(profile, owners, options.demangle);
  const components = new Set<string>();
  for (const frame of frames.list) if (frame.component !== undefined) components.add(frame.component);
  return {
    ...(options.component !== undefined && { component: options.component }),
    startedAt: options.startedAt.toISOString(),
    durationMs: (profile.endTime - profile.startTime) / 1000,
    intervalUs: options.intervalUs,
    totalSamples: profile.samples?.length ?? 0,
    samples: kept,
    components: [...components].sort(),
    frames: frames.list,
    stacks: [...stacks.values()].sort((a, b) => b.timeUs - a.timeUs),
    cpuProfile: profile,
  };
}

function rawFrame(callFrame: Runtime.CallFrame, owners: Map<string, ScriptOwner>): RawFrame {
  const owner = owners.get(callFrame.scriptId);
  // Skiff's own time-slice check, compiled into the guest's module, is the host's time.
  if (owner && callFrame.functionName === CHECKPOINT_NAME)
    return { kind: 'host', callFrame, bucket: HOST_BUCKET.timeSlicing };
  if (owner?.functionAtColumn.has(callFrame.columnNumber) && !isWasmWrapper(callFrame))
    return {
      kind: 'guest',
      symbol: callFrame.functionName,
      components: owner.modules.map((m) => m.componentId),
    };
  return { kind: 'host', callFrame, bucket: decidingBucket(callFrame) };
}

/**
 * Frame indices of one stack, outermost first; null when the stack does not pass through
 * `component`. Host runs become one bucket each; a component frame opens each run of guest frames
 * of a component other than the last one opened.
 */
function foldStack(
  raw: readonly RawFrame[],
  component: string | undefined,
  frames: FrameTable,
): number[] | null {
  const guests = raw.filter((f) => f.kind === 'guest');
  // Frames of a module several components share count for the components that frames only one
  // component has name; alone, they count for all of them.
  const sole = new Set(guests.filter((f) => f.components.length === 1).map((f) => f.components[0] as string));
  const owners = sole.size > 0 ? sole : new Set(guests.flatMap((f) => f.components));
  if (component !== undefined && !owners.has(component)) return null;
  const indices: number[] = [];
  let lastComponent: string | undefined;
  for (let i = 0; i < raw.length; ) {
    const frame = raw[i] as RawFrame;
    if (frame.kind === 'guest') {
      const id = frame.components.find((c) => owners.has(c)) ?? (frame.components[0] as string);
      if (id !== lastComponent) indices.push(frames.component(id));
      lastComponent = id;
      indices.push(frames.guest(frame.symbol, id));
      i++;
      continue;
    }
    let end = i;
    let bucket: string | undefined;
    for (; end < raw.length; end++) {
      const host = raw[end] as RawFrame;
      if (host.kind !== 'host') break;
      bucket = host.bucket ?? bucket;
    }
    indices.push(
      frames.host(bucket ?? fallbackBucket((raw[end - 1] as RawFrame & { kind: 'host' }).callFrame)),
    );
    i = end;
  }
  return indices;
}

/** How long each sample stands for: until the next one (the last: until the profile's end). */
function sampleTimes(profile: Profiler.Profile): number[] {
  const deltas = profile.timeDeltas ?? [];
  const stamps: number[] = [];
  let at = profile.startTime;
  for (const delta of deltas) {
    at += delta;
    stamps.push(at);
  }
  return stamps.map((stamp, i) => Math.max(0, (stamps[i + 1] ?? profile.endTime) - stamp));
}

/** The raw profile, for DevTools and speedscope, with guest functions named as people wrote them. */
function demangleInPlace(
  profile: Profiler.Profile,
  owners: Map<string, ScriptOwner>,
  demangle: Demangle,
): void {
  for (const { callFrame } of profile.nodes)
    if (owners.has(callFrame.scriptId)) callFrame.functionName = demangle(callFrame.functionName);
}

/** Frames, each once, by kind, component and name. */
class FrameTable {
  readonly list: ProfileFrame[] = [];
  readonly #index = new Map<string, number>();
  readonly #demangle: Demangle;
  constructor(demangle: Demangle) {
    this.#demangle = demangle;
  }
  guest(symbol: string, component: string): number {
    return this.#add(frameKey({ kind: 'guest', component, name: symbol }), () => {
      const name = this.#demangle(symbol);
      return { kind: 'guest', name, component, ...(name !== symbol && { symbol }) };
    });
  }
  component(id: string): number {
    return this.#add(frameKey({ kind: 'component', component: id, name: id }), () => ({
      kind: 'component',
      name: id,
      component: id,
    }));
  }
  host(bucket: string): number {
    return this.#add(frameKey({ kind: 'host', name: bucket }), () => ({ kind: 'host', name: bucket }));
  }
  #add(key: string, make: () => ProfileFrame): number {
    let index = this.#index.get(key);
    if (index === undefined) {
      index = this.list.push(make()) - 1;
      this.#index.set(key, index);
    }
    return index;
  }
}
