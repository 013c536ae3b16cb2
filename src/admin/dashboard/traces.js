/**
 * Recent traces from /api/traces: a list of requests' traces, and for the one picked a waterfall
 * of its spans (instantiation, guest execution, outbound HTTP, key-value) on one time axis, each
 * span's attributes shown on click.
 */
import { formatMs, formatTime, h } from './dom.js';

/** Colours by what a span is about, from its name; anything else by depth. */
const SPAN_KINDS = [
  { match: /instan/i, kind: 'instantiate' },
  { match: /guest|call|execute/i, kind: 'guest' },
  { match: /key.?value|kv\b/i, kind: 'keyvalue' },
  {
    match: /outbound|fetch|http (get|post|put|delete|patch|head)|^(GET|POST|PUT|DELETE|PATCH|HEAD) /i,
    kind: 'http',
  },
];

function spanKind(span, depth) {
  if (depth === 0) return 'root';
  return SPAN_KINDS.find(({ match }) => match.test(span.name ?? ''))?.kind ?? 'other';
}

/** Spans in tree order (parents before children, siblings by start), with their depth. */
function treeOrder(spans) {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : '';
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(span);
  }
  const ordered = [];
  const visit = (parent, depth) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      ordered.push({ span, depth });
      if (depth < 32) visit(span.spanId, depth + 1);
    }
  };
  visit('', 0);
  return ordered;
}

function isError(status) {
  return status === 'error' || status === 2 || (typeof status === 'object' && status?.code === 2);
}

export function createTraces(container) {
  const list = h('ol', { class: 'trace-list' });
  const waterfall = h(
    'div',
    { class: 'waterfall' },
    h('p', { class: 'muted' }, 'Pick a trace to see its spans.'),
  );
  const count = h('span', { class: 'muted' });
  container.append(
    h('div', { class: 'section-tools' }, count),
    h('div', { class: 'traces-layout' }, h('div', { class: 'trace-list-wrap' }, list), waterfall),
  );
  let traces = [];
  let shownFirst;
  let selectedId;
  let pendingId;

  function showWaterfall(trace) {
    selectedId = trace.traceId;
    for (const item of list.children) item.classList.toggle('selected', item.dataset.traceId === selectedId);
    const spans = Array.isArray(trace.spans) ? trace.spans : [];
    const start = Math.min(...spans.map((span) => span.startMs));
    const end = Math.max(...spans.map((span) => span.startMs + (span.durationMs ?? 0)));
    const total = Math.max(end - start, 0.001);
    const attributes = h(
      'div',
      { class: 'span-attributes' },
      h('p', { class: 'muted' }, 'Click a span for its attributes.'),
    );
    const rows = treeOrder(spans).map(({ span, depth }) => {
      const left = ((span.startMs - start) / total) * 100;
      const width = Math.max(((span.durationMs ?? 0) / total) * 100, 0.3);
      const row = h(
        'div',
        {
          class: `span-row kind-${spanKind(span, depth)}`,
          data: { spanId: String(span.spanId) },
          tabindex: '0',
          on: {
            click: () => {
              for (const other of waterfall.querySelectorAll('.span-row.selected'))
                other.classList.remove('selected');
              row.classList.add('selected');
              const entries = Object.entries(span.attributes ?? {});
              attributes.replaceChildren(
                h('h4', {}, span.name ?? 'span'),
                entries.length
                  ? h(
                      'dl',
                      { class: 'fields' },
                      entries.map(([key, value]) => [
                        h('dt', {}, key),
                        h('dd', {}, typeof value === 'string' ? value : JSON.stringify(value)),
                      ]),
                    )
                  : h('p', { class: 'muted' }, 'No attributes.'),
              );
            },
          },
        },
        h(
          'div',
          { class: 'span-name', style: { 'padding-left': `${depth * 14 + 4}px` }, title: span.name ?? '' },
          span.name ?? '',
        ),
        h(
          'div',
          { class: 'span-track' },
          h('div', {
            class: 'span-bar',
            style: { left: `${left.toFixed(2)}%`, width: `${width.toFixed(2)}%` },
          }),
          h(
            'span',
            { class: 'span-duration', style: { left: `${Math.min(left + width, 88).toFixed(2)}%` } },
            formatMs(span.durationMs),
          ),
        ),
      );
      return row;
    });
    waterfall.dataset.traceId = trace.traceId;
    waterfall.replaceChildren(
      h(
        'div',
        { class: 'waterfall-header' },
        h('h3', {}, trace.name ?? 'trace'),
        h('span', { class: 'muted' }, `${formatMs(trace.durationMs ?? total)} · ${spans.length} spans · `),
        h('code', { class: 'trace-id' }, trace.traceId),
      ),
      h('div', { class: 'span-rows' }, rows),
      attributes,
    );
  }

  function render() {
    const slowest = Math.max(0.001, ...traces.map((trace) => trace.durationMs ?? 0));
    count.textContent = `${traces.length} most recent`;
    list.replaceChildren(
      ...traces.map((trace) =>
        h(
          'li',
          {
            class: `trace-item${trace.traceId === selectedId ? ' selected' : ''}${isError(trace.status) ? ' error' : ''}`,
            data: { traceId: trace.traceId },
            tabindex: '0',
            on: {
              click: () => showWaterfall(trace),
              keydown: (event) => event.key === 'Enter' && showWaterfall(trace),
            },
          },
          h('span', { class: 'trace-name' }, trace.name ?? trace.traceId),
          h('span', { class: 'trace-time' }, formatTime(trace.time)),
          h(
            'span',
            { class: 'trace-bar' },
            h('i', {
              style: { width: `${Math.max(2, ((trace.durationMs ?? 0) / slowest) * 100).toFixed(1)}%` },
            }),
          ),
          h('span', { class: 'trace-duration' }, formatMs(trace.durationMs)),
        ),
      ),
    );
    if (!traces.length) list.append(h('li', { class: 'muted empty' }, 'No trace yet.'));
  }
  render();

  return {
    update(next) {
      traces = Array.isArray(next) ? next : [];
      const first = traces[0] ? `${traces[0].traceId}|${traces.length}` : '';
      if (first !== shownFirst) {
        shownFirst = first;
        render();
      }
      if (pendingId) {
        const trace = traces.find((one) => one.traceId === pendingId);
        if (trace) showWaterfall(trace);
        pendingId = undefined;
      }
    },
    /** Shows one trace by id (from a request's row); says so when it is no longer among the recent. */
    open(traceId) {
      container.scrollIntoView({ behavior: 'smooth', block: 'start' });
      const trace = traces.find((one) => one.traceId === traceId);
      if (trace) return showWaterfall(trace);
      pendingId = traceId;
      waterfall.replaceChildren(
        h('p', { class: 'muted' }, `Trace ${traceId} is not among the recent traces (yet, or any more).`),
      );
    },
  };
}
