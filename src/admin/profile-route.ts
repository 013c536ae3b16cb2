/**
 * `POST /api/profile?component=ID&seconds=N[&format=html|folded|json]`: samples a running
 * component's guest code in every worker for N seconds and answers its flame graph. Each worker
 * profiles its own thread (the 'profile' admin source); the primary merges their stacks.
 * Refused with a clear 4xx: bad parameters (400), a component the server does not run (404), a
 * profile already running (409: V8 runs one profiler per thread, and two would skew each other).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  flameGraphHtml,
  foldedStacks,
  type GuestProfile,
  MAX_DURATION_MS,
  mergeProfiles,
  profileGuests,
} from '../observability/profile/index.ts';
import { mergeOverview } from './overview.ts';
import { AdminHttpError, addAdminRoute, sendJson, sendText } from './server.ts';
import { type AdminSource, COLLECT_TIMEOUT_MS, collectFromWorkers, collectParts } from './sources.ts';

const FORMATS = ['html', 'folded', 'json'] as const;
type Format = (typeof FORMATS)[number];
const DEFAULT_SECONDS = 5;

/** In each worker: this thread's profile, without V8's raw profile (stacks are what merge). */
export const profileSource: AdminSource = {
  name: 'profile',
  async collect(query) {
    const { cpuProfile: _raw, ...profile } = await profileGuests({
      durationMs: Number(query.seconds) * 1000,
      component: query.component,
    });
    return profile;
  },
  merge: (parts) => mergeProfiles(parts as GuestProfile[]),
};

interface ProfileRequest {
  component: string;
  seconds: number;
  format: Format;
}

function parseRequest(url: URL): ProfileRequest {
  const component = url.searchParams.get('component');
  if (!component)
    throw new AdminHttpError(400, 'name the component to profile: POST /api/profile?component=ID&seconds=5');
  const secondsText = url.searchParams.get('seconds') ?? String(DEFAULT_SECONDS);
  const seconds = Number(secondsText);
  const maxSeconds = MAX_DURATION_MS / 1000;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > maxSeconds)
    throw new AdminHttpError(
      400,
      `seconds=${secondsText}: expected a whole number of seconds from 1 to ${maxSeconds}`,
    );
  const format = (url.searchParams.get('format') ?? 'html') as Format;
  if (!FORMATS.includes(format))
    throw new AdminHttpError(400, `format=${format}: expected one of ${FORMATS.join(', ')}`);
  return { component, seconds, format };
}

/** Adds the route to this process's admin listeners; returns a function that removes it. */
export function addProfileRoute(): () => void {
  let running: string | undefined;
  return addAdminRoute(
    'POST',
    '/api/profile',
    async (_req: IncomingMessage, res: ServerResponse, url: URL) => {
      const request = parseRequest(url);
      const overview = mergeOverview(await collectParts('overview'));
      const known = overview?.components.map((c) => c.id) ?? [];
      if (!known.includes(request.component))
        throw new AdminHttpError(
          404,
          `no component "${request.component}" is served here; components: ${known.join(', ') || '(none)'}`,
        );
      if (running)
        throw new AdminHttpError(409, `a profile of "${running}" is running; try again when it is done`);
      running = request.component;
      let profile: GuestProfile;
      try {
        const query = { component: request.component, seconds: String(request.seconds) };
        // The workers answer once they have sampled; a stuck one is not waited for past the margin.
        profile = (await collectFromWorkers(
          'profile',
          query,
          request.seconds * 1000 + COLLECT_TIMEOUT_MS,
        )) as GuestProfile;
      } finally {
        running = undefined;
      }
      const name = `${request.component}-${profile.startedAt.replace(/[:.]/g, '-')}`;
      if (request.format === 'json') sendJson(res, profile);
      else if (request.format === 'folded')
        sendText(res, 200, foldedStacks(profile), {
          'content-disposition': `inline; filename="${name}.folded"`,
        });
      else {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-disposition': `inline; filename="${name}.html"`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.end(flameGraphHtml(profile));
      }
    },
  );
}
