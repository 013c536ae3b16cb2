/**
 * Recent requests from /api/requests (newest first): a table a person can scan (status coloured,
 * slow ones stand out) and, on click, the request's details with its log lines and its trace.
 */
import { formatMs, formatTime, h, statusClass } from './dom.js';

function requestKey(request) {
  return `${request.worker ?? ''}:${request.id}`;
}

/** Wall time relative to the slowest shown, as a bar behind the number. */
function durationCell(request, slowest) {
  const share = slowest > 0 ? Math.min(1, (request.wallMs ?? 0) / slowest) : 0;
  return h(
    'td',
    { class: 'num duration', style: { '--share': `${(share * 100).toFixed(1)}%` } },
    formatMs(request.wallMs),
  );
}

/**
 * `logsOf(request)` gives the log lines of a request; `onOpenTrace(traceId)` shows a trace.
 */
export function createRequests(container, { logsOf, onOpenTrace }) {
  const follow = h('input', {
    type: 'checkbox',
    checked: true,
    title: 'New requests come in every second; they wait while the pointer is over the table',
  });
  const count = h('span', { class: 'muted' });
  const body = h('tbody');
  const detail = h('aside', { class: 'request-detail', hidden: true });
  container.append(
    h('div', { class: 'section-tools' }, h('label', {}, follow, ' live'), count),
    h(
      'div',
      { class: 'table-wrap', on: { mouseleave: () => pending && update(pending) } },
      h(
        'table',
        { class: 'requests' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'time',
              'method',
              'target',
              'route',
              'component',
              'status',
              'outcome',
              'wall',
              'CPU',
              'trace',
            ].map((name) => h('th', { class: ['wall', 'CPU'].includes(name) ? 'num' : undefined }, name)),
          ),
        ),
        body,
      ),
    ),
    detail,
  );
  let shown = [];
  let selected;

  function select(request) {
    selected = requestKey(request);
    for (const row of body.children) row.classList.toggle('selected', row.dataset.key === selected);
    const logs = logsOf(request);
    const field = (name, value) => [h('dt', {}, name), h('dd', {}, value ?? '–')];
    detail.hidden = false;
    detail.dataset.requestId = String(request.id);
    detail.replaceChildren(
      h(
        'div',
        { class: 'panel-header' },
        h('h3', {}, `${request.method} ${request.target}`),
        h('button', { type: 'button', class: 'close', 'aria-label': 'Close', on: { click: unselect } }, '×'),
      ),
      h(
        'dl',
        { class: 'fields' },
        field('time', formatTime(request.time)),
        field('request id', String(request.id)),
        field('worker', request.worker === undefined ? undefined : String(request.worker)),
        field('route', request.route),
        field('component', request.component),
        field(
          'status',
          h('span', { class: `status ${statusClass(request.status)}` }, String(request.status)),
        ),
        field('outcome', request.outcome),
        field('wall time', formatMs(request.wallMs)),
        field('guest CPU', formatMs(request.cpuMs)),
        field(
          'trace',
          request.traceId
            ? h(
                'button',
                { type: 'button', class: 'link', on: { click: () => onOpenTrace(request.traceId) } },
                request.traceId,
              )
            : 'none recorded',
        ),
      ),
      h('h4', {}, `Log lines of this request (${logs.length})`),
      logs.length
        ? h(
            'ol',
            { class: 'log-lines compact' },
            logs.map((line) =>
              h('li', {}, h('span', { class: 'log-time' }, formatTime(line.time)), ' ', line.msg),
            ),
          )
        : h('p', { class: 'muted' }, 'None among the recent log lines.'),
    );
  }

  function unselect() {
    selected = undefined;
    detail.hidden = true;
    for (const row of body.querySelectorAll('tr.selected')) row.classList.remove('selected');
  }

  function render() {
    const slowest = Math.max(0, ...shown.map((request) => request.wallMs ?? 0));
    count.textContent = `${shown.length} most recent`;
    body.replaceChildren(
      ...shown.map((request) => {
        const key = requestKey(request);
        return h(
          'tr',
          {
            class: key === selected ? 'selected' : undefined,
            data: { key, requestId: String(request.id) },
            tabindex: '0',
            on: {
              click: () => select(request),
              keydown: (event) => event.key === 'Enter' && select(request),
            },
          },
          h('td', { class: 'time' }, formatTime(request.time)),
          h('td', {}, request.method ?? ''),
          h('td', { class: 'target', title: request.target ?? '' }, request.target ?? ''),
          h('td', {}, h('code', {}, request.route ?? '–')),
          h('td', {}, request.component ?? '–'),
          h(
            'td',
            {},
            h('span', { class: `status ${statusClass(request.status)}` }, String(request.status ?? '–')),
          ),
          h(
            'td',
            { class: request.outcome && request.outcome !== 'ok' ? 'outcome bad' : 'outcome' },
            request.outcome ?? '',
          ),
          durationCell(request, slowest),
          h('td', { class: 'num' }, formatMs(request.cpuMs)),
          h(
            'td',
            {},
            request.traceId
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    on: {
                      click: (event) => {
                        event.stopPropagation();
                        onOpenTrace(request.traceId);
                      },
                    },
                  },
                  'trace',
                )
              : '',
          ),
        );
      }),
    );
    if (!shown.length)
      body.append(
        h('tr', {}, h('td', { colspan: '10', class: 'muted empty' }, 'No request yet: send one to a route.')),
      );
  }

  render();
  /** The newest list, held back while the pointer is over the table (rows would move under it). */
  let pending;
  function update(requests) {
    pending = requests;
    if (!follow.checked || container.querySelector('.table-wrap:hover')) return;
    pending = undefined;
    const next = Array.isArray(requests) ? requests : [];
    if (next.length === shown.length && requestKey(next[0] ?? {}) === requestKey(shown[0] ?? {})) return;
    shown = next;
    render();
  }

  return { update };
}
