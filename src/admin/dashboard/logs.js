/**
 * Recent log lines from /api/logs (the host's and the guests' own, newest first), level coloured,
 * with a filter box and a minimum level. Guest lines are untrusted text: they only ever become
 * text nodes.
 */
import { formatTime, h } from './dom.js';

/** pino's numeric levels, for a server that sends numbers rather than names. */
const LEVEL_NAMES = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LEVEL_RANK = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  warning: 40,
  error: 50,
  critical: 60,
  fatal: 60,
};

function levelName(level) {
  if (typeof level === 'number') return LEVEL_NAMES[level] ?? String(level);
  return String(level ?? 'info').toLowerCase();
}

export function createLogs(container) {
  const filter = h('input', {
    type: 'search',
    class: 'log-filter',
    placeholder: 'Filter: text, component or request id',
    'aria-label': 'Filter log lines',
  });
  const minimum = h(
    'select',
    { 'aria-label': 'Lowest level shown' },
    ['trace', 'debug', 'info', 'warn', 'error'].map((name) =>
      h('option', { value: name }, `${name} and above`),
    ),
  );
  const follow = h('input', {
    type: 'checkbox',
    checked: true,
    title: 'New lines come in every second; they wait while the pointer is over the list',
  });
  const count = h('span', { class: 'muted' });
  const list = h('ol', { class: 'log-lines' });
  container.append(
    h('div', { class: 'section-tools' }, filter, minimum, h('label', {}, follow, ' live'), count),
    h('div', { class: 'log-scroll', on: { mouseleave: () => pending && update(pending) } }, list),
  );
  let lines = [];
  let shownFirst;

  function render() {
    const needle = filter.value.trim().toLowerCase();
    const lowest = LEVEL_RANK[minimum.value] ?? 0;
    const visible = lines.filter((line) => {
      if ((LEVEL_RANK[levelName(line.level)] ?? 30) < lowest) return false;
      if (!needle) return true;
      return [line.msg, line.component, line.requestId, levelName(line.level)].some((value) =>
        String(value ?? '')
          .toLowerCase()
          .includes(needle),
      );
    });
    count.textContent =
      needle || lowest > 10 ? `${visible.length} of ${lines.length} lines` : `${lines.length} lines`;
    list.replaceChildren(
      ...visible.map((line) => {
        const level = levelName(line.level);
        return h(
          'li',
          { class: `log-line level-${level}`, data: { level } },
          h('span', { class: 'log-time' }, formatTime(line.time)),
          h('span', { class: 'log-level' }, level),
          h('span', { class: 'log-component' }, line.component ?? 'skiff'),
          h('span', { class: 'log-request' }, line.requestId === undefined ? '' : `#${line.requestId}`),
          h('span', { class: 'log-msg' }, String(line.msg ?? '')),
        );
      }),
    );
    if (!visible.length)
      list.append(
        h('li', { class: 'muted empty' }, lines.length ? 'No line matches the filter.' : 'No log line yet.'),
      );
  }

  filter.addEventListener('input', render);
  minimum.addEventListener('change', render);
  render();

  /** The newest lines, held back while the pointer is over them (lines would move under it). */
  let pending;
  function update(next) {
    pending = next;
    if (!follow.checked || container.querySelector('.log-scroll:hover')) return;
    pending = undefined;
    lines = Array.isArray(next) ? next : [];
    const first = lines[0] ? `${lines[0].time}|${lines[0].msg}|${lines.length}` : '';
    if (first === shownFirst) return;
    shownFirst = first;
    render();
  }

  return {
    update,
    /** The lines of one request, oldest first. */
    linesOf(request) {
      return lines
        .filter(
          (line) =>
            line.requestId === request.id && (!line.component || line.component === request.component),
        )
        .reverse();
    },
  };
}
