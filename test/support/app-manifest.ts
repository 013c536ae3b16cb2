/** A skiff.toml in a temp folder that routes `/<id>/...` to each component, for end-to-end tests. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './skiff-process.ts';

export interface TestComponent {
  /** Relative to the repo root. */
  source: string;
  /** Extra `[component.<id>]` lines, e.g. `timeout = "300ms"`. */
  settings?: string[];
}

/** Writes the manifest and returns its path. */
export async function writeTestApp(name: string, components: Record<string, TestComponent>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `skiff-${name}-`));
  const lines = ['skiff_manifest_version = 1', '[application]', `name = "${name}"`];
  for (const id of Object.keys(components))
    lines.push('[[trigger.http]]', `route = "/${id}/..."`, `component = "${id}"`);
  for (const [id, { source, settings = [] }] of Object.entries(components))
    lines.push(`[component.${id}]`, `source = "${join(REPO, source)}"`, ...settings);
  const manifest = join(dir, 'skiff.toml');
  await writeFile(manifest, `${lines.join('\n')}\n`);
  return manifest;
}
