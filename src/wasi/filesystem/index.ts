/**
 * `wasi:filesystem` for one instance: one preopened folder per mount and nothing else. Deny by
 * default: a guest without mounts sees no files at all, and a guest with mounts reaches only what
 * is below them (see sandbox-path.ts), read-only unless the mount says otherwise.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, posix } from 'node:path';
import type { FileMount } from '../../manifest/app.ts';
import type { WasiFilesystemPreopens, WasiFilesystemTypes } from '../shapes/filesystem.ts';
import { Descriptor, OpenHandles } from './descriptor.ts';
import { DirectoryEntryStream, filesystemErrorCode } from './file-io.ts';
import type { Sandbox } from './sandbox-path.ts';

export type { ErrorCode } from './errors.ts';
export { Descriptor, DirectoryEntryStream };

export interface FilesystemImports {
  types: WasiFilesystemTypes;
  preopens: WasiFilesystemPreopens;
  /** Closes every file and folder the instance still holds open. */
  dispose(): void;
}

/** A mount checked and resolved once per component; instances open descriptors from it. */
export interface Preopen {
  sandbox: Sandbox;
  guestPath: string;
}

/** `/www/` and `/www` are one guest folder; libc matches preopens by prefix, so no trailing `/`. */
function guestFolder(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** A mount's host side, checked once per component: it must exist, and symlinks in it are resolved. */
function preopenFor(mount: FileMount): Preopen {
  let real: string;
  try {
    real = realpathSync(mount.hostPath);
  } catch (e) {
    throw new Error(`mount ${mount.hostPath} -> ${mount.guestPath}: ${(e as Error).message}`);
  }
  if (statSync(real).isDirectory()) {
    return { sandbox: { hostRoot: real, readOnly: mount.readOnly }, guestPath: guestFolder(mount.guestPath) };
  }
  // A single file is shown as the only entry of its guest folder.
  const guestFile = guestFolder(mount.guestPath);
  const guestName = posix.basename(guestFile);
  return {
    sandbox: {
      hostRoot: dirname(real),
      readOnly: mount.readOnly,
      only: { guestName, hostName: basename(real) },
    },
    guestPath: posix.dirname(guestFile),
  };
}

/** Resolves a component's mounts; throws (naming the mount) when a host path does not exist. */
export function preparePreopens(mounts: FileMount[]): Preopen[] {
  return mounts.map(preopenFor);
}

export function filesystemImports(preopens: Preopen[]): FilesystemImports {
  const handles = new OpenHandles();
  return {
    types: { Descriptor, DirectoryEntryStream, filesystemErrorCode },
    preopens: {
      // Fresh descriptors per call: the guest owns (and may drop) what it gets.
      getDirectories: (): Array<[Descriptor, string]> =>
        preopens.map((p) => [Descriptor.openRoot(p.sandbox, handles), p.guestPath]),
    },
    dispose() {
      handles.closeAll();
    },
  };
}
