import { CHECKPOINT_NAME } from './interrupt/instrument.ts';

/** Describes a guest trap for a log: the error, then only the guest's own (wasm) frames. */
export function describeTrap(error: unknown, indent = ''): string {
  if (!(error instanceof Error)) return `${indent}${String(error)}`;
  const header = `${indent}${error.name}: ${error.message}${explanation(error)}`;
  const backtrace = guestBacktrace(error, indent);
  return backtrace ? `${header}\n${backtrace}` : `${header}\n${hostFrames(error, indent)}`;
}

/** The host frames of `error`'s stack, without the `Name: message` line the header already shows. */
function hostFrames(error: Error, indent: string): string {
  const stack = error.stack ?? '';
  const repeated = `${error.name}: ${error.message}`;
  const frames = stack.startsWith(repeated) ? stack.slice(repeated.length).replace(/^\n/, '') : stack;
  return frames
    .split('\n')
    .map((line) => `${indent}${line}`)
    .join('\n');
}

/** V8's words for a trap, in the guest's terms where they differ. */
function explanation(error: Error): string {
  if (error instanceof RangeError && /call stack size/.test(error.message))
    return ' (a stack overflow: the guest recursed too deeply)';
  return '';
}

/**
 * The frame of the check that stopped the guest (instrument.ts): the host's, not the guest's.
 * V8 prefixes it with the module's name when the module has one (`at app.wasm.skiff:checkpoint (`).
 */
const CHECKPOINT_FRAME = new RegExp(`\\bat (?:\\S+\\.)?${CHECKPOINT_NAME} \\(`);

/** `guest backtrace:` and the wasm frames of `error`'s stack; empty when there are none. */
export function guestBacktrace(error: unknown, indent = ''): string {
  if (!(error instanceof Error)) return '';
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((l) => (l.includes('wasm://') || l.includes('wasm-function')) && !CHECKPOINT_FRAME.test(l));
  if (frames.length === 0) return '';
  return `${indent}guest backtrace:\n${frames.map((f) => `${indent}  ${f.trim()}`).join('\n')}`;
}
