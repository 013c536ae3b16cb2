/**
 * `skiff up --from spin.toml`: a Spin manifest (version 2) runs as the Skiff app it means. It is
 * translated into a Skiff manifest (translate.ts) and checked by the same validators as a
 * skiff.toml, so problems come back with the spin.toml's file:line either way.
 */
import type { Table } from '../checker.ts';
import { type AppContents, validateManifest } from '../validate-app.ts';
import type { SpinManifestChecker } from './checker.ts';
import { translateSpinManifest } from './translate.ts';

export { SpinManifestChecker } from './checker.ts';

export const SPIN_MANIFEST_FILE = 'spin.toml';

/** A Spin manifest has `spin_manifest_version`; a skiff.toml never does. */
export const isSpinManifest = (root: Table): boolean => 'spin_manifest_version' in root;

/** The app a spin.toml describes; problems go to `checker`. Undefined when it is no version Skiff reads. */
export function validateSpinManifest(checker: SpinManifestChecker, root: Table): AppContents | undefined {
  const translated = translateSpinManifest(checker, root);
  return translated && validateManifest(checker, translated);
}
