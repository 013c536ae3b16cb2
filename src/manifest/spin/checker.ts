/**
 * A ManifestChecker for a spin.toml: the Spin manifest is rewritten into Skiff's shape and then
 * checked by Skiff's own validators, so every problem must still point at a line of the file the
 * user wrote. Two things differ from a skiff.toml:
 *
 * - some translated paths are not where the text is: an inline component (`component = { … }` in a
 *   `[[trigger.http]]`) becomes `[component.<generated id>]`; `moved` maps such paths back;
 * - where the translation already refused an entry with a Spin-specific reason (a glob in `files`,
 *   a `{{ template }}` host), Skiff's generic complaint about the same value would only repeat it:
 *   `refused` paths report nothing more.
 */
import { ManifestChecker } from '../checker.ts';
import type { KeyPath } from '../locate.ts';

const pathId = (path: KeyPath): string => JSON.stringify(path);

export class SpinManifestChecker extends ManifestChecker {
  /** Translated path prefix → where it is written in the spin.toml. */
  readonly #moved = new Map<string, KeyPath>();
  readonly #refused = new Set<string>();

  /** Paths under `translated` are written under `original` in the file. */
  move(translated: KeyPath, original: KeyPath): void {
    this.#moved.set(pathId(translated), original);
  }

  /**
   * Reports a Spin-specific problem at `original` (a path as written in the spin.toml), and keeps
   * Skiff's validators quiet about `translated` (the same value, where the translation put it).
   */
  refuse(original: KeyPath, translated: KeyPath | undefined, message: string, hint: string): void {
    this.problems.push({ file: this.file, line: super.lineOf(original), message, hint });
    if (translated) this.#refused.add(pathId(translated));
  }

  override lineOf(path: KeyPath): number {
    for (let end = path.length; end > 0; end--) {
      const original = this.#moved.get(pathId(path.slice(0, end)));
      if (original) return super.lineOf([...original, ...path.slice(end)]);
    }
    return super.lineOf(path);
  }

  override report(path: KeyPath, message: string, hint?: string): void {
    for (let end = path.length; end > 0; end--) if (this.#refused.has(pathId(path.slice(0, end)))) return;
    super.report(path, message, hint);
  }
}
