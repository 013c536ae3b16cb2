/**
 * Resolving a `*-at` path (sandbox-path.ts) and the syscall that uses it are several steps in the
 * thread pool. Another guest of this process must not rename a folder or put a symlink on the path
 * in between: the kernel would follow it, out of the mount. So lookups that only read the tree run
 * together (shared), and every change to the tree (create, link, rename, remove, symlink) runs alone
 * (exclusive), in arrival order so neither side starves. One lock for the process, since mounts of
 * different components may overlap. Another process racing on the mount is not stopped by this
 * (as before, when these steps were synchronous).
 */

export type LockMode = 'shared' | 'exclusive';

interface Waiter {
  mode: LockMode;
  grant(): void;
}

class NamespaceLock {
  #readers = 0;
  #writer = false;
  readonly #queue: Waiter[] = [];

  /** Runs `op` holding the lock in `mode`; the lock is released however `op` ends. */
  async run<T>(mode: LockMode, op: () => Promise<T>): Promise<T> {
    if (this.#mayEnter(mode) && this.#queue.length === 0) this.#enter(mode);
    else await new Promise<void>((grant) => this.#queue.push({ mode, grant }));
    try {
      return await op();
    } finally {
      this.#leave(mode);
    }
  }

  #mayEnter(mode: LockMode): boolean {
    return mode === 'shared' ? !this.#writer : !this.#writer && this.#readers === 0;
  }

  #enter(mode: LockMode): void {
    if (mode === 'shared') this.#readers++;
    else this.#writer = true;
  }

  #leave(mode: LockMode): void {
    if (mode === 'shared') this.#readers--;
    else this.#writer = false;
    for (let next = this.#queue[0]; next && this.#mayEnter(next.mode); next = this.#queue[0]) {
      this.#queue.shift();
      this.#enter(next.mode);
      next.grant();
    }
  }
}

export const namespaceLock = new NamespaceLock();
