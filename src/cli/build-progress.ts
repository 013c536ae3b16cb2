/**
 * What `skiff build` shows while building: on a terminal, a spinner line per component that turns
 * into its result; elsewhere (logs, CI, pipes) only the result line, so a log holds one line per
 * component.
 */

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Often enough to look alive, rarely enough to cost nothing. */
const SPIN_MS = 80;

export interface BuildProgress {
  start(component: string): void;
  /** Ends the component's line: built (ok) or failed, with the time it took. */
  finish(component: string, ok: boolean): void;
}

/** `850ms`, `12.3s`, `2m 05s`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

export function resultLine(component: string, ok: boolean, ms: number): string {
  return ok
    ? `${component}: built in ${formatElapsed(ms)}`
    : `${component}: failed after ${formatElapsed(ms)}`;
}

export function buildProgress(out: NodeJS.WriteStream = process.stdout): BuildProgress {
  const started = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  const elapsed = (component: string) => performance.now() - (started.get(component) ?? performance.now());
  return {
    start(component) {
      started.set(component, performance.now());
      if (!out.isTTY) return;
      let frame = 0;
      const draw = () => {
        const spinner = SPINNER[frame++ % SPINNER.length] as string;
        out.write(`\r\x1b[2K${spinner} ${component}: building (${formatElapsed(elapsed(component))})`);
      };
      draw();
      timer = setInterval(draw, SPIN_MS);
    },
    finish(component, ok) {
      if (timer) clearInterval(timer);
      timer = undefined;
      const line = resultLine(component, ok, elapsed(component));
      out.write(out.isTTY ? `\r\x1b[2K${ok ? '✓' : '✗'} ${line}\n` : `${line}\n`);
    },
  };
}
