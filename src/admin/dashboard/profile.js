/**
 * The flame-graph panel: POST /api/profile for one component, a spinner with a countdown while
 * the server samples, then the returned page in a sandboxed frame (see profile-frame.js), or the
 * server's reason when it refused (unknown component, a profile already running, …).
 */
import { ApiError, postForText } from './api.js';
import { formatTime, h } from './dom.js';

/** The server answers after the sampling time plus the time to build the page. */
const COUNTDOWN_TICK_MS = 250;

export function createProfilePanel(container, { onRunningChange, onUnauthorized }) {
  let downloadUrl;
  let running = false;

  function show(state, ...children) {
    container.hidden = false;
    container.dataset.state = state;
    container.replaceChildren(
      h(
        'div',
        { class: 'panel-header' },
        h('h3', {}, 'Guest CPU profile'),
        h(
          'button',
          {
            type: 'button',
            class: 'close',
            'aria-label': 'Close the profile',
            on: { click: close },
            disabled: running,
          },
          '×',
        ),
      ),
      ...children,
    );
  }

  function close() {
    if (running) return;
    container.hidden = true;
    container.replaceChildren();
    delete container.dataset.state;
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = undefined;
  }

  async function run(componentId, seconds) {
    if (running) return;
    running = true;
    onRunningChange(true);
    const started = performance.now();
    const countdown = h('span', { class: 'countdown' });
    const tick = () => {
      const left = Math.ceil(seconds - (performance.now() - started) / 1000);
      countdown.textContent = left > 0 ? `${left} s left` : 'building the flame graph…';
    };
    tick();
    const timer = setInterval(tick, COUNTDOWN_TICK_MS);
    show(
      'running',
      h(
        'div',
        { class: 'profile-running' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }),
        h('span', {}, `Sampling ${componentId} for ${seconds} s — `, countdown),
        h(
          'p',
          { class: 'muted' },
          'Only time spent running this component is sampled: send it requests meanwhile.',
        ),
      ),
    );
    container.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    try {
      const query = new URLSearchParams({ component: componentId, seconds: String(seconds) });
      const html = await postForText(`/api/profile?${query}`);
      running = false;
      showFlameGraph(componentId, seconds, html);
    } catch (error) {
      running = false;
      if (error instanceof ApiError && error.status === 401) onUnauthorized();
      show('error', h('div', { class: 'error-box', role: 'alert' }, refusalText(error)));
    } finally {
      clearInterval(timer);
      onRunningChange(false);
    }
  }

  function showFlameGraph(componentId, seconds, html) {
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    // Sandboxed without allow-same-origin: the graph's script runs in an opaque origin, away from
    // this page's token, and the frame's own policy lets it reach no network.
    const frame = h('iframe', {
      class: 'flame-frame',
      title: `Flame graph of ${componentId}`,
      sandbox: 'allow-scripts',
      src: '/dashboard/profile-frame.html',
    });
    frame.addEventListener('load', () => frame.contentWindow?.postMessage({ flameGraphHtml: html }, '*'), {
      once: true,
    });
    show(
      'done',
      h(
        'div',
        { class: 'profile-meta' },
        h('span', {}, h('b', {}, componentId), ` · ${seconds} s · taken at ${formatTime(Date.now())}`),
        h(
          'a',
          { href: downloadUrl, download: `profile-${componentId}.html`, class: 'button-link' },
          'Download HTML',
        ),
      ),
      frame,
    );
  }

  return { run, close };
}

function refusalText(error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'The admin listener wants a token (see the banner above).';
    // The listener's own 404 for a route it lacks, as opposed to the profiler's "unknown component".
    if (error.status === 404 && /^No admin route/.test(error.message))
      return 'Profiling is not available on this server.';
    return `The server refused the profile (${error.status}): ${error.message}`;
  }
  return `The profile failed: ${error instanceof Error ? error.message : String(error)}`;
}
