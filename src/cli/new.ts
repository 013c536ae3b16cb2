/** `skiff new TEMPLATE NAME` — start an app from a template; `skiff new --list` shows them. */

import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { COMPONENT_ID, closestMatch, toIdentifier } from '../manifest/keys.ts';
import { parseOptions, UsageError } from './options.ts';
import { instantiateTemplate, TEMPLATES, TEMPLATES_DIR, type Template } from './templates.ts';

const SPEC = {
  list: 'boolean',
} as const;

/** A path as it can be pasted into a shell. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

function listTemplates(): string {
  const width = Math.max(...TEMPLATES.map((t) => t.id.length));
  const lines = TEMPLATES.map(
    (t) => `  ${t.id.padEnd(width)}  ${t.summary}\n  ${' '.repeat(width)}  needs: ${t.needs.join(', ')}`,
  );
  return `Templates (skiff new TEMPLATE NAME):\n${lines.join('\n')}\n`;
}

function findTemplate(id: string): Template {
  const template = TEMPLATES.find((t) => t.id === id);
  if (template) return template;
  const ids = TEMPLATES.map((t) => t.id);
  const guess = closestMatch(id, ids);
  throw new UsageError(
    `unknown template "${id}"${guess ? ` (did you mean ${guess}?)` : ''}; templates: ${ids.join(', ')} (skiff new --list describes them)`,
  );
}

/** Refuses a folder that holds anything: `skiff new` never overwrites. */
async function checkFolderIsFree(folder: string, shown: string): Promise<void> {
  const stats = await stat(folder).catch(() => undefined);
  if (!stats) return;
  if (!stats.isDirectory()) throw new UsageError(`${shown} exists and is not a folder: choose another NAME`);
  if ((await readdir(folder)).length > 0)
    throw new UsageError(
      `${shown} already exists and is not empty: choose another NAME, or empty the folder first`,
    );
}

export async function newApp(argv: string[]): Promise<number> {
  const o = parseOptions(argv, SPEC, false);
  if (o.values.has('list')) {
    if (o.positionals.length > 0) throw new UsageError('--list takes no TEMPLATE or NAME');
    process.stdout.write(listTemplates());
    return 0;
  }
  const [templateId, target, ...extra] = o.positionals;
  if (!templateId || !target)
    throw new UsageError(
      `expected a TEMPLATE and a NAME, e.g. skiff new http-rust hello\n\n${listTemplates()}`,
    );
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const template = findTemplate(templateId);
  if (!existsSync(join(TEMPLATES_DIR, template.id)))
    throw new UsageError(
      `this installation of Skiff has no templates folder (${TEMPLATES_DIR}): reinstall skiff-wasm`,
    );
  const folder = resolve(target);
  const shown = shellWord(relative(process.cwd(), folder) || '.');
  // The folder's name names the app and its component, so it must make a valid id.
  const name = toIdentifier(basename(folder), '');
  if (!COMPONENT_ID.test(name))
    throw new UsageError(
      `cannot make an app name of "${basename(folder)}": use letters, digits, "-" and "_", starting with a letter, e.g. skiff new ${template.id} hello`,
    );
  await checkFolderIsFree(folder, shown);
  await instantiateTemplate(template, folder, name);
  const renamed = name === basename(folder) ? '' : ` (app and component "${name}")`;
  process.stdout.write(
    `Created ${shown}${renamed} from ${template.id}: ${template.summary}\n` +
      `Needs: ${template.needs.join(', ')}\n\n` +
      `  skiff build --from ${shown}\n  skiff up --from ${shown}\n`,
  );
  return 0;
}
