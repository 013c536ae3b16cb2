/** Placeholder until the filesystem lands: no preopens, so the guest sees no files at all. */
import type { FileMount } from '../../manifest/app.ts';

class Descriptor {}
class DirectoryEntryStream {}

export interface FilesystemImports {
  types: object;
  preopens: object;
  dispose(): void;
}

export function filesystemImports(_mounts: FileMount[]): FilesystemImports {
  return {
    types: { Descriptor, DirectoryEntryStream, filesystemErrorCode: () => undefined },
    preopens: { getDirectories: () => [] },
    dispose() {},
  };
}
