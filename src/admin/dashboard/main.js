/**
 * The dashboard's entry: polls the admin API (stats every second, the rest a little less often),
 * hands each answer to its section, and says plainly when the server is unreachable, wants a
 * token, or lacks a part of the API (an older server: that section reads "not available").
 */
import { ApiError, adoptTokenFromUrl, getJson, hasToken, setToken } from './api.js';
import { createComponents } from './components.js';
import { formatDuration, h } from './dom.js';
import { createLogs } from './logs.js';
import { createProfilePanel } from './profile.js';
import { createRequests } from './requests.js';
import { createTraces } from './traces.js';
import { createTraffic } from './traffic.js';

const WINDOWS_MS = { '1m': 60_000, '5m': 300_000 };
const WINDOW_KEY = 'skiff-dashboard-window';
/** A hidden tab polls this much less often; a missing endpoint is asked again this rarely. */
const HIDDEN_SLOWDOWN = 5;
const UNAVAILABLE_RETRY_MS = 15_000;

adoptTokenFromUrl();

const byId = (id) => document.getElementById(id);
const state = {
  overview: undefined,
  windowMs: WINDOWS_MS[localStorage.getItem(WINDOW_KEY) ?? ''] ?? WINDOWS_MS['1m'],
};

const traffic = createTraffic(byId('traffic'));
const traces = createTraces(byId('traces'));
const logs = createLogs(byId('logs'));
const requests = createRequests(byId('requests'), {
  logsOf: (request) => logs.linesOf(request),
  onOpenTrace: (traceId) => traces.open(traceId),
});
const components = createComponents(byId('components'), (id, seconds) => profile.run(id, seconds));
const profile = createProfilePanel(byId('profile'), {
  onRunningChange: (running) => components.setProfiling(running),
  onUnauthorized: () => showUnauthorized(),
});

// ---- connection and auth status -------------------------------------------------------------

let authWaiters = [];
let unauthorized = false;

function setConnection(status, text) {
  const badge = byId('connection');
  badge.dataset.status = status;
  badge.textContent = text;
}

function showUnauthorized() {
  if (unauthorized) return;
  unauthorized = true;
  setConnection('auth', 'needs a token');
  const input = h('input', {
    type: 'password',
    autocomplete: 'off',
    placeholder: 'admin token',
    'aria-label': 'Admin token',
  });
  const banner = byId('banner');
  banner.hidden = false;
  banner.dataset.kind = 'auth';
  banner.replaceChildren(
    h(
      'p',
      {},
      h(
        'b',
        {},
        hasToken() ? 'The admin listener refused this token. ' : 'The admin listener needs a token. ',
      ),
      'Open this page as ',
      h('code', {}, '/?token=…'),
      ' with the token given to skiff up (',
      h('code', {}, '--admin-token'),
      ' or ',
      h('code', {}, 'SKIFF_ADMIN_TOKEN'),
      '), or paste it here:',
    ),
    h(
      'form',
      {
        on: {
          submit: (event) => {
            event.preventDefault();
            setToken(input.value.trim());
            unauthorized = false;
            banner.hidden = true;
            banner.replaceChildren();
            const waiters = authWaiters;
            authWaiters = [];
            for (const resolve of waiters) resolve();
          },
        },
      },
      input,
      h('button', { type: 'submit' }, 'Use token'),
    ),
  );
}

function untilAuthorized() {
  return unauthorized ? new Promise((resolve) => authWaiters.push(resolve)) : Promise.resolve();
}

function markAvailability(sectionId, available) {
  const section = byId(sectionId)?.closest('section');
  if (!section) return;
  section.classList.toggle('unavailable', !available);
  section.dataset.available = String(available);
}

// ---- polling -----------------------------------------------------------------------------------

/** Polls one endpoint forever: never two calls at once, slower when hidden or not provided. */
async function poll(path, everyMs, onData, sectionId) {
  for (;;) {
    await untilAuthorized();
    let waitMs = everyMs;
    try {
      onData(await getJson(path));
      if (sectionId) markAvailability(sectionId, true);
      if (path === '/api/stats') setConnection('live', 'live');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) showUnauthorized();
      else if (error instanceof ApiError && (error.status === 404 || error.status === 501)) {
        if (sectionId) markAvailability(sectionId, false);
        waitMs = UNAVAILABLE_RETRY_MS;
      } else if (error instanceof ApiError) {
        console.warn(`${path}: ${error.status} ${error.message}`);
      } else setConnection('down', 'reconnecting…');
    }
    await new Promise((resolve) => setTimeout(resolve, document.hidden ? waitMs * HIDDEN_SLOWDOWN : waitMs));
  }
}

function showOverview(overview) {
  state.overview = overview;
  byId('app-name').textContent = overview.app ?? 'app';
  document.title = `${overview.app ?? 'app'} · Skiff dashboard`;
  const started =
    typeof overview.startedAt === 'number' ? overview.startedAt : Date.parse(overview.startedAt);
  const facts = [
    overview.version ? `skiff ${overview.version}` : undefined,
    overview.workers ? `${overview.workers} worker${overview.workers === 1 ? '' : 's'}` : undefined,
    overview.pid ? `pid ${overview.pid}` : undefined,
    Number.isFinite(started) ? `up ${formatDuration(Date.now() - started)}` : undefined,
  ].filter(Boolean);
  byId('app-facts').textContent = facts.join(' · ');
  components.update(overview);
}

// ---- window choice -----------------------------------------------------------------------------

for (const button of document.querySelectorAll('[data-window]')) {
  const pick = () => {
    state.windowMs = WINDOWS_MS[button.dataset.window];
    localStorage.setItem(WINDOW_KEY, button.dataset.window);
    for (const other of document.querySelectorAll('[data-window]'))
      other.setAttribute('aria-pressed', String(other === button));
  };
  if (WINDOWS_MS[button.dataset.window] === state.windowMs) button.setAttribute('aria-pressed', 'true');
  button.addEventListener('click', pick);
}

poll('/api/overview', 2000, showOverview, 'components');
poll(
  '/api/stats',
  1000,
  (stats) => traffic.update(stats, state.overview?.routes ?? [], state.windowMs),
  'traffic',
);
poll('/api/requests', 1000, (list) => requests.update(list), 'requests');
poll('/api/logs', 1000, (list) => logs.update(list), 'logs');
poll('/api/traces', 2000, (list) => traces.update(list), 'traces');
