/**
 * Profiles of several threads (one per worker process) as one, for a flame graph of the whole
 * server: stacks with the same frames add up. V8's raw profiles are per thread and are left out.
 */
import { frameKey, type GuestProfile, type ProfileFrame } from './guest-profile.ts';

export function mergeProfiles(profiles: readonly GuestProfile[]): GuestProfile {
  const first = profiles[0];
  if (!first) throw new TypeError('mergeProfiles needs at least one profile');
  const frames: ProfileFrame[] = [];
  const frameIndex = new Map<string, number>();
  const stacks = new Map<string, GuestProfile['stacks'][number]>();
  const components = new Set<string>();
  for (const profile of profiles) {
    const remap = profile.frames.map((frame) => {
      const key = frameKey(frame);
      let index = frameIndex.get(key);
      if (index === undefined) {
        index = frames.push(frame) - 1;
        frameIndex.set(key, index);
      }
      return index;
    });
    for (const stack of profile.stacks) {
      const indices = stack.frames.map((i) => remap[i] as number);
      const key = indices.join(',');
      const merged = stacks.get(key) ?? { frames: indices, samples: 0, timeUs: 0 };
      merged.samples += stack.samples;
      merged.timeUs += stack.timeUs;
      stacks.set(key, merged);
    }
    for (const id of profile.components) components.add(id);
  }
  return {
    ...(first.component !== undefined && { component: first.component }),
    startedAt: profiles.map((p) => p.startedAt).sort()[0] as string,
    durationMs: Math.max(...profiles.map((p) => p.durationMs)),
    intervalUs: first.intervalUs,
    totalSamples: profiles.reduce((sum, p) => sum + p.totalSamples, 0),
    samples: profiles.reduce((sum, p) => sum + p.samples, 0),
    components: [...components].sort(),
    frames,
    stacks: [...stacks.values()].sort((a, b) => b.timeUs - a.timeUs),
  };
}
