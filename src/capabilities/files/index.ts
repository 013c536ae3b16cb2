/**
 * File mounts: `files = [...]` in `[component.X]` (and `--dir` on the command line). A guest sees
 * no file but these, read-only unless a mount says otherwise (src/wasi/filesystem/).
 */
import type { Capability } from '../capability.ts';
import { validateFiles } from './validate.ts';

export const files: Capability = {
  name: 'files',
  componentKeys: ['files'],
  validate: ({ checker, component, path, spot }) => ({
    files: validateFiles(checker, component, path, spot),
  }),
};
