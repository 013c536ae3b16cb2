/**
 * Live traffic from /api/stats (1-second buckets per route, the whole server's): totals, a chart of
 * req/s and one of p99 across routes, then a card per route with its own req/s and p50/p99 charts.
 * Only whole seconds are drawn: the bucket still filling would make every line dip at its end.
 */
import { createTimeChart } from './charts.js';
import { formatMs, formatMsTick, formatPercent, formatRate, h, PALETTE } from './dom.js';

/** The "now" numbers average this many whole seconds, so they move every second but do not flicker. */
const RATE_WINDOW_BUCKETS = 5;
/** The error rate is taken over the last minute: one failure in a quiet second is not "100%". */
const ERROR_WINDOW_BUCKETS = 60;
const ERROR_COLOR = '#d64545';

function routeKey(route) {
  return `${route.route}\u0000${route.component ?? ''}`;
}

/** Dense series over the window from the sparse points the server sends. */
function seriesOf(points, times, bucketMs) {
  const byTime = new Map();
  for (const point of points ?? []) byTime.set(Math.floor(point.t / bucketMs) * bucketMs, point);
  const perSecond = 1000 / bucketMs;
  const rps = [];
  const errors = [];
  const p50 = [];
  const p99 = [];
  const requests = [];
  const errorCounts = [];
  for (const time of times) {
    const point = byTime.get(time);
    const count = point?.requests ?? 0;
    requests.push(count);
    errorCounts.push(point?.errors ?? 0);
    rps.push(count * perSecond);
    errors.push((point?.errors ?? 0) * perSecond);
    p50.push(count > 0 && Number.isFinite(point.p50Ms) ? point.p50Ms : null);
    p99.push(count > 0 && Number.isFinite(point.p99Ms) ? point.p99Ms : null);
  }
  return { rps, errors, p50, p99, requests, errorCounts };
}

function sum(values) {
  return values.reduce((total, value) => total + (value ?? 0), 0);
}

/** The latest latency among the last few buckets that had requests. */
function latest(values) {
  for (let i = values.length - 1; i >= Math.max(0, values.length - RATE_WINDOW_BUCKETS); i--)
    if (values[i] !== null) return values[i];
  return null;
}

function tile(label, hint) {
  const value = h('div', { class: 'tile-value' }, '–');
  const detail = h('div', { class: 'tile-detail' }, hint);
  return {
    element: h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), value, detail),
    value,
    detail,
  };
}

function createRouteCard(route, color) {
  const rps = h('span', { class: 'big-number', title: `average of the last ${RATE_WINDOW_BUCKETS} s` }, '–');
  const p50 = h('span', {}, '–');
  const p99 = h('span', {}, '–');
  const errors = h('span', {}, '–');
  const rpsChart = createTimeChart({
    label: `Requests per second on ${route.route}`,
    series: [
      { name: 'req/s', color, kind: 'area' },
      { name: 'errors/s', color: ERROR_COLOR, kind: 'bars' },
    ],
    format: formatRate,
    height: 110,
  });
  const latencyChart = createTimeChart({
    label: `Latency on ${route.route}`,
    series: [
      { name: 'p50', color },
      { name: 'p99', color: '#8a5a00' },
    ],
    format: formatMs,
    tickFormat: formatMsTick,
    height: 110,
  });
  const element = h(
    'article',
    { class: 'route-card', data: { route: route.route, component: route.component ?? '' } },
    h(
      'header',
      {},
      h('code', { class: 'route-pattern', style: { '--route-color': color } }, route.route),
      h('span', { class: 'route-component' }, '→ ', route.component ?? 'no component'),
    ),
    h(
      'div',
      { class: 'route-numbers' },
      h('div', {}, rps, h('small', {}, ' req/s')),
      h('div', {}, h('small', {}, 'p50 '), p50),
      h('div', {}, h('small', {}, 'p99 '), p99),
      h('div', {}, h('small', {}, 'errors '), errors),
    ),
    h('div', { class: 'route-charts' }, rpsChart.element, latencyChart.element),
  );
  return {
    element,
    update(series, times, end) {
      const recent = series.rps.slice(-RATE_WINDOW_BUCKETS);
      const rate = sum(recent) / Math.max(1, recent.length);
      rps.textContent = formatRate(rate);
      element.dataset.rps = String(rate);
      p50.textContent = formatMs(latest(series.p50) ?? Number.NaN);
      p99.textContent = formatMs(latest(series.p99) ?? Number.NaN);
      const lastMinuteRequests = sum(series.requests.slice(-ERROR_WINDOW_BUCKETS));
      const lastMinuteErrors = sum(series.errorCounts.slice(-ERROR_WINDOW_BUCKETS));
      errors.textContent = lastMinuteRequests ? formatPercent(lastMinuteErrors / lastMinuteRequests) : '–';
      errors.className = lastMinuteErrors > 0 ? 'has-errors' : '';
      rpsChart.update({ times, values: [series.rps, series.errors], end });
      latencyChart.update({ times, values: [series.p50, series.p99], end });
    },
  };
}

/** The traffic section: `update(stats, routes, windowMs)` once a second. */
export function createTraffic(container) {
  const totalRps = tile('Requests / s', `average of the last ${RATE_WINDOW_BUCKETS} s`);
  totalRps.element.dataset.testid = 'total-rps';
  const errorRate = tile('Error rate', 'responses ≥ 500, last minute');
  const p99 = tile('Slowest p99', 'worst route, last seconds');
  const windowCount = tile('Requests', 'in the window shown');
  const tiles = h(
    'div',
    { class: 'tiles' },
    totalRps.element,
    errorRate.element,
    p99.element,
    windowCount.element,
  );
  const overviewCharts = h('div', { class: 'overview-charts' });
  const cards = h('div', { class: 'route-cards' });
  container.append(tiles, overviewCharts, cards);

  const routeCards = new Map();
  let chartKey = '';
  let rpsChart;
  let p99Chart;

  function colorOf(index) {
    return PALETTE[index % PALETTE.length];
  }

  return {
    update(stats, knownRoutes, windowMs) {
      const bucketMs = stats.bucketMs || 1000;
      const lastWhole = Math.floor(stats.now / bucketMs) * bucketMs - bucketMs;
      const count = Math.max(2, Math.round(windowMs / bucketMs));
      const times = Array.from({ length: count }, (_, i) => lastWhole - (count - 1 - i) * bucketMs);
      const end = lastWhole + bucketMs;

      // Every route the app declares, with or without traffic, then any the stats name besides.
      const routes = [...knownRoutes];
      const statsByKey = new Map((stats.routes ?? []).map((route) => [routeKey(route), route]));
      for (const route of stats.routes ?? [])
        if (!routes.some((r) => routeKey(r) === routeKey(route))) routes.push(route);
      const series = routes.map((route) =>
        seriesOf(statsByKey.get(routeKey(route))?.points, times, bucketMs),
      );

      const key = routes.map(routeKey).join('\u0001');
      if (key !== chartKey) {
        chartKey = key;
        rpsChart = createTimeChart({
          label: 'Requests per second by route',
          series: [
            ...routes.map((route, index) => ({ name: route.route, color: colorOf(index) })),
            { name: 'errors', color: ERROR_COLOR, kind: 'bars' },
          ],
          format: formatRate,
          height: 190,
        });
        p99Chart = createTimeChart({
          label: 'p99 latency by route',
          series: routes.map((route, index) => ({ name: route.route, color: colorOf(index) })),
          format: formatMs,
          tickFormat: formatMsTick,
          height: 190,
        });
        rpsChart.element.dataset.testid = 'rps-chart';
        overviewCharts.replaceChildren(
          h('div', { class: 'panel' }, h('h3', {}, 'Requests per second'), rpsChart.element),
          h('div', { class: 'panel' }, h('h3', {}, 'p99 latency'), p99Chart.element),
        );
        routeCards.clear();
        cards.replaceChildren(
          ...routes.map((route, index) => {
            const card = createRouteCard(route, colorOf(index));
            routeCards.set(routeKey(route), card);
            return card.element;
          }),
        );
      }

      const totalErrors = times.map((_, i) => sum(series.map((s) => s.errors[i])));
      rpsChart.update({ times, values: [...series.map((s) => s.rps), totalErrors], end });
      p99Chart.update({ times, values: series.map((s) => s.p99), end });
      for (const [index, route] of routes.entries())
        routeCards.get(routeKey(route))?.update(series[index], times, end);

      const rate = sum(series.map((s) => sum(s.rps.slice(-RATE_WINDOW_BUCKETS)))) / RATE_WINDOW_BUCKETS;
      totalRps.value.textContent = formatRate(rate);
      totalRps.element.dataset.value = String(rate);
      const minuteRequests = sum(series.map((s) => sum(s.requests.slice(-ERROR_WINDOW_BUCKETS))));
      const minuteErrors = sum(series.map((s) => sum(s.errorCounts.slice(-ERROR_WINDOW_BUCKETS))));
      errorRate.value.textContent = minuteRequests ? formatPercent(minuteErrors / minuteRequests) : '–';
      errorRate.element.classList.toggle('tile-bad', minuteErrors > 0);
      errorRate.detail.textContent = `${minuteErrors} of ${minuteRequests} in the last minute were ≥ 500`;
      const worst = Math.max(-1, ...series.map((s) => latest(s.p99) ?? -1));
      p99.value.textContent = worst < 0 ? '–' : formatMs(worst);
      windowCount.value.textContent = sum(series.map((s) => sum(s.requests))).toLocaleString('en');
      windowCount.detail.textContent = `in the last ${Math.round(windowMs / 60_000) || 1} min`;
    },
  };
}
