/**
 * Where log lines go: a file descriptor written asynchronously through pino's sonic-boom, so a
 * guest's line costs the request path a string append, not a write(2). Lines gather up to
 * BUFFER_BYTES (or FLUSH_INTERVAL_MS) and go out together, off the main thread; `close` waits for
 * the last of them, and pino's exit hook writes what is left synchronously if the process exits
 * without closing.
 */
import pino from 'pino';

/** Lines gather until this many bytes are waiting; then one write sends them. */
const BUFFER_BYTES = 2048;
/**
 * One write at most: PIPE_BUF, so that the workers of `skiff up`, which share the pipe, never
 * interleave inside each other's lines (Linux writes up to PIPE_BUF bytes to a pipe atomically).
 */
const WRITE_BYTES = 4096;
/** A line waits at most this long when few come: a person watching still sees it at once. */
export const FLUSH_INTERVAL_MS = 100;
/**
 * What may wait for a reader that does not read (a stuck pipe): past it lines are dropped and
 * counted, instead of the server's memory growing without bound.
 */
const MAX_BUFFERED_BYTES = 32 * 2 ** 20;

export class LineSink {
  readonly #dest: ReturnType<typeof pino.destination>;
  readonly #timer: NodeJS.Timeout;
  #dropped = 0;

  constructor(fd: number) {
    this.#dest = pino.destination({
      fd,
      sync: false,
      minLength: BUFFER_BYTES,
      maxWrite: WRITE_BYTES,
      maxLength: MAX_BUFFERED_BYTES,
    });
    this.#dest.on('drop', () => {
      this.#dropped++;
    });
    this.#timer = setInterval(() => this.#tick(), FLUSH_INTERVAL_MS).unref();
  }

  /** One or more whole lines, each ending in `\n`. */
  write(lines: string): void {
    this.#dest.write(lines);
  }

  /** Sends what waits (sonic-boom keeps up to BUFFER_BYTES back otherwise), and says if lines were lost. */
  #tick(): void {
    if (this.#dropped > 0) {
      const dropped = this.#dropped;
      this.#dropped = 0;
      this.write(`warning: ${dropped} log lines were dropped: nothing read them fast enough\n`);
    }
    this.#dest.flush();
  }

  /**
   * Resolves once every line written so far is out: the write in flight ends, then the rest goes
   * synchronously (sonic-boom's flush stops with up to BUFFER_BYTES still waiting).
   */
  async flush(): Promise<void> {
    // fsync on a pipe or terminal fails with EINVAL once the data is out: done either way.
    await new Promise<void>((resolve) => this.#dest.flush(() => resolve()));
    this.#dest.flushSync();
  }

  /** Flushes and stops the timer; the descriptor stays open (it is the process's stdout or stderr). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
