/** Describes a guest trap for a log: the error, then only the guest's own (wasm) frames. */
export function describeTrap(error: unknown, indent = ''): string {
  if (!(error instanceof Error)) return `${indent}${String(error)}`;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((l) => l.includes('wasm://') || l.includes('wasm-function'));
  const header = `${indent}${error.name}: ${error.message}`;
  if (frames.length === 0) return `${header}\n${error.stack ?? ''}`;
  return `${header}\n${indent}guest backtrace:\n${frames.map((f) => `${indent}  ${f.trim()}`).join('\n')}`;
}
