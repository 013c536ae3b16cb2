/**
 * A GuestProfile as folded stacks (Brendan Gregg's format, read by flamegraph.pl, inferno,
 * speedscope…): one line per distinct stack, `outer;inner;leaf COUNT`, outermost frame first.
 */
import type { GuestProfile } from './guest-profile.ts';

export interface FoldedOptions {
  /** What each line counts: samples (the format's usual meaning, the default) or microseconds. */
  weight?: 'samples' | 'microseconds';
}

/** `;` separates frames and a newline ends a line, so neither may stay inside a name (`[u8; 4]`). */
const frameText = (name: string) => name.replaceAll(';', ':').replace(/[\r\n]+/g, ' ');

export function foldedStacks(profile: GuestProfile, options: FoldedOptions = {}): string {
  const names = profile.frames.map((frame) => frameText(frame.name));
  const lines = profile.stacks.map((stack) => {
    const count = options.weight === 'microseconds' ? Math.round(stack.timeUs) : stack.samples;
    return `${stack.frames.map((i) => names[i]).join(';')} ${count}`;
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
