/**
 * `skiff profile --component ID [--seconds 5] [-o profile.html]`: a guest CPU flame graph of a
 * component in a running `skiff up`, through its admin listener. Without `--admin`, the server is
 * found among those running on this machine (the one that serves the component).
 */
import { writeFile } from 'node:fs/promises';
import { ADMIN_TOKEN_ENV } from '../admin/listen-options.ts';
import { type RunningServer, runningServers } from '../admin/running-servers.ts';
import { parseOptions, stringOption, UsageError } from './options.ts';

const SPEC = {
  component: 'string',
  seconds: 'string',
  out: 'string',
  format: 'string',
  admin: 'string',
  'admin-token': 'string',
} as const;

const EXTENSIONS: Record<string, string> = { html: 'html', folded: 'folded', json: 'json' };

/** The admin address to ask: `--admin`, else the one running server that serves `component`. */
function adminFor(component: string, given: string | undefined): { admin: string; server?: RunningServer } {
  if (given) return { admin: given.replace(/\/$/, '') };
  const servers = runningServers();
  const serving = servers.filter((s) => s.routes.some((r) => r.component === component));
  if (serving.length === 1) return { admin: (serving[0] as RunningServer).admin, server: serving[0] };
  const list = (of: RunningServer[]) =>
    of.map(
      (s) => `  ${s.admin}  (serving ${s.url}: ${[...new Set(s.routes.map((r) => r.component))].join(', ')})`,
    );
  if (serving.length > 1)
    throw new UsageError(
      `several running servers serve "${component}"; choose one with --admin URL:\n${list(serving).join('\n')}`,
    );
  if (servers.length > 0)
    throw new UsageError(
      `no running skiff up serves a component "${component}"; running here:\n${list(servers).join('\n')}\n(or pass --admin URL for a server elsewhere)`,
    );
  throw new UsageError(
    'no running skiff up found on this machine (with its admin listener on); start one, or pass --admin URL',
  );
}

export async function profile(argv: string[]): Promise<number> {
  const o = parseOptions(
    argv.map((a) => (a === '-o' ? '--out' : a)),
    SPEC,
    false,
  );
  if (o.positionals.length > 0) throw new UsageError(`unexpected argument "${o.positionals[0]}"`);
  const component = stringOption(o, 'component');
  if (!component)
    throw new UsageError('name the component: skiff profile --component ID (see skiff profile --help)');
  const seconds = stringOption(o, 'seconds') ?? '5';
  const format = stringOption(o, 'format') ?? 'html';
  if (!(format in EXTENSIONS)) throw new UsageError(`--format ${format}: expected html, folded or json`);
  const { admin, server } = adminFor(component, stringOption(o, 'admin'));
  const token = stringOption(o, 'admin-token') ?? process.env[ADMIN_TOKEN_ENV];
  if (server?.tokenRequired && !token)
    throw new UsageError(
      `the admin listener at ${admin} asks for a token: pass --admin-token or set ${ADMIN_TOKEN_ENV}`,
    );
  const out = stringOption(o, 'out') ?? `profile-${component}.${EXTENSIONS[format]}`;

  process.stderr.write(`Profiling ${component} for ${seconds} s through ${admin} …\n`);
  const query = new URLSearchParams({ component, seconds, format });
  let response: Response;
  try {
    response = await fetch(`${admin}/api/profile?${query}`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  } catch (e) {
    process.stderr.write(`error: cannot reach the admin listener at ${admin}: ${(e as Error).cause ?? e}\n`);
    return 1;
  }
  const body = await response.text();
  if (!response.ok) {
    process.stderr.write(`error: the server refused the profile (${response.status}): ${body.trim()}\n`);
    return 1;
  }
  await writeFile(out, body);
  process.stdout.write(`Wrote ${out}\n`);
  return 0;
}
