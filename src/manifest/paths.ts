import fs from 'node:fs';
import type { KeyPath } from './locate.ts';

/** A host path the manifest names, and what it must be. */
export interface PathRequirement {
  hostPath: string;
  expect: 'file' | 'directory' | 'file-or-directory';
  /** Manifest key that names the path, for the error line. */
  where: KeyPath;
  /** What the path is for, e.g. `source of component "api"`. */
  what: string;
  /** How to fix a missing path, e.g. "run `skiff build` first". */
  missingHint: string;
  /** A component's build command writes it, so `skiff build` may find it missing (it is about to make it). */
  producedByBuild?: boolean;
}

export type PathKind = 'file' | 'directory' | 'missing' | 'other';

export async function pathKind(hostPath: string): Promise<PathKind> {
  try {
    return kindOf(await fs.promises.stat(hostPath));
  } catch {
    return 'missing';
  }
}

export function pathKindSync(hostPath: string): PathKind {
  const stats = fs.statSync(hostPath, { throwIfNoEntry: false });
  return stats ? kindOf(stats) : 'missing';
}

function kindOf(stats: fs.Stats): PathKind {
  return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
}

/** The problem with a path of the given kind, or undefined when it is what the requirement expects. */
export function pathProblem(
  requirement: PathRequirement,
  kind: PathKind,
): { message: string; hint: string | undefined } | undefined {
  const { expect, what, hostPath } = requirement;
  if (kind === 'missing') return { message: `${what} not found: ${hostPath}`, hint: requirement.missingHint };
  if (kind === expect || (expect === 'file-or-directory' && kind !== 'other')) return undefined;
  const wanted =
    expect === 'file-or-directory' ? 'a file or a folder' : expect === 'file' ? 'a file' : 'a folder';
  const found =
    kind === 'directory' ? 'a folder' : kind === 'file' ? 'a file' : 'neither a file nor a folder';
  return {
    message: `${what} is ${found}, expected ${wanted}: ${hostPath}`,
    hint: expect === 'file' ? 'point it at the .wasm file itself' : `point it at ${wanted}`,
  };
}
