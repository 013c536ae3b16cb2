/**
 * Guest CPU profiles: sample the guests running on this thread with V8's profiler, name their
 * frames as their authors wrote them, and render the result as folded stacks, a self-contained
 * flame graph page, or a `.cpuprofile`.
 */
export { type Demangle, loadDemangler } from './demangle.ts';
export { flameGraphHtml } from './flame-graph-html.ts';
export { type FoldedOptions, foldedStacks } from './folded-stacks.ts';
export type { FrameKind, GuestProfile, ProfileFrame, ProfileStack } from './guest-profile.ts';
export { HOST_BUCKET } from './host-buckets.ts';
export { type LoadedComponent, loadedComponentIds, loadedComponents } from './loaded-components.ts';
export { mergeProfiles } from './merge-profiles.ts';
export { ProfileError, type ProfileErrorCode } from './profile-error.ts';
export {
  DEFAULT_INTERVAL_US,
  MAX_DURATION_MS,
  MAX_INTERVAL_US,
  MIN_INTERVAL_US,
  type ProfileOptions,
  profileGuests,
} from './profile-guests.ts';

import type { GuestProfile } from './guest-profile.ts';

/**
 * V8's profile of the thread as a `.cpuprofile` file (Chrome DevTools, speedscope): every host
 * frame, guest names demangled. Merged profiles have none.
 */
export function cpuProfileJson(profile: GuestProfile): string {
  if (!profile.cpuProfile)
    throw new TypeError('this profile has no V8 profile (merged profiles keep only their stacks)');
  return JSON.stringify(profile.cpuProfile);
}
