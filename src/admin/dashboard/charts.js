/**
 * Small SVG time-series charts, drawn here rather than brought in: a few lines, areas and bars
 * over the last minutes, redrawn every second, with a hover read-out. No library, no network.
 */
import { h, svg } from './dom.js';

const MARGIN = { top: 8, right: 10, bottom: 20, left: 46 };
const Y_TICKS = 4;

/** A round step so that `ticks` steps cover `max`: 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(max, ticks) {
  const raw = max / ticks;
  if (!(raw > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** "-45s", "-3m", "now": x labels relative to the right edge. */
function relativeLabel(msBeforeEnd) {
  if (msBeforeEnd <= 0) return 'now';
  const seconds = Math.round(msBeforeEnd / 1000);
  return seconds >= 120 && seconds % 60 === 0 ? `-${seconds / 60}m` : `-${seconds}s`;
}

/**
 * A chart of `series` ({ name, color, kind: 'line' | 'area' | 'bars' }) sharing one y axis.
 * `format` writes a value, `tickFormat` an axis tick.
 * `update({ times, values, end })`: `times` are bucket starts (epoch ms), `values[s][i]` the value of
 * series s at times[i], or null where there is none (a gap in a line).
 */
export function createTimeChart({ label, series, format, tickFormat = format, height = 150, minMax = 1 }) {
  const legend = h('div', { class: 'chart-legend' });
  const plot = h('div', { class: 'chart-plot' });
  const tooltip = h('div', { class: 'chart-tooltip', hidden: true });
  const element = h('figure', { class: 'chart', role: 'img', 'aria-label': label }, legend, plot, tooltip);
  let last = { times: [], values: [], end: 0 };
  let hoverX;

  const legendValues = series.map(() => h('span', { class: 'legend-value' }, '–'));
  legend.append(
    ...series.map((one, index) =>
      h(
        'span',
        { class: 'legend-item' },
        h('i', { class: `swatch swatch-${one.kind ?? 'line'}`, style: { '--swatch': one.color } }),
        one.name,
        ' ',
        legendValues[index],
      ),
    ),
  );

  function draw() {
    const { times, values, end } = last;
    const width = Math.max(200, plot.clientWidth || 600);
    const innerWidth = width - MARGIN.left - MARGIN.right;
    const innerHeight = height - MARGIN.top - MARGIN.bottom;
    const count = times.length;
    const step = count > 1 ? times[1] - times[0] : 1000;
    const start = count ? times[0] : end - 60_000;
    const span = Math.max(1, end - start);
    const xOf = (time) => MARGIN.left + ((time - start) / span) * innerWidth;

    let max = 0;
    for (const row of values) for (const value of row) if (value !== null && value > max) max = value;
    const yStep = niceStep(Math.max(max, minMax), Y_TICKS);
    const yMax = yStep * Math.max(1, Math.ceil(Math.max(max, minMax) / yStep));
    const yOf = (value) => MARGIN.top + innerHeight - (value / yMax) * innerHeight;

    const grid = [];
    for (let tick = 0; tick <= yMax + yStep / 2; tick += yStep) {
      const y = yOf(tick);
      grid.push(svg('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y, y2: y }));
      grid.push(
        svg('text', { class: 'axis', x: MARGIN.left - 6, y: y + 4, 'text-anchor': 'end' }, tickFormat(tick)),
      );
    }
    const xTickEvery = span > 150_000 ? 60_000 : span > 50_000 ? 15_000 : 5000;
    for (let back = 0; back <= span; back += xTickEvery) {
      const x = xOf(end - back);
      grid.push(
        svg(
          'text',
          { class: 'axis', x, y: height - 5, 'text-anchor': back === 0 ? 'end' : 'middle' },
          relativeLabel(back),
        ),
      );
    }

    const shapes = [];
    series.forEach((one, index) => {
      const row = values[index] ?? [];
      const kind = one.kind ?? 'line';
      if (kind === 'bars') {
        const barWidth = Math.max(1, (step / span) * innerWidth - 1);
        row.forEach((value, i) => {
          if (!value) return;
          const y = yOf(value);
          shapes.push(
            svg('rect', {
              x: xOf(times[i]),
              y,
              width: barWidth,
              height: MARGIN.top + innerHeight - y,
              fill: one.color,
            }),
          );
        });
        return;
      }
      // A bucket's value is drawn at its end: the line reaches "now" with the last whole second.
      let path = '';
      let open = false;
      row.forEach((value, i) => {
        if (value === null || value === undefined) {
          open = false;
          return;
        }
        path += `${open ? 'L' : 'M'}${xOf(times[i] + step).toFixed(1)},${yOf(value).toFixed(1)}`;
        open = true;
      });
      if (!path) return;
      if (kind === 'area') {
        const firstX = xOf(times[row.findIndex((v) => v !== null && v !== undefined)] + step);
        const baseline = yOf(0).toFixed(1);
        const lastIndex = row.length - 1 - [...row].reverse().findIndex((v) => v !== null && v !== undefined);
        const lastX = xOf(times[lastIndex] + step);
        shapes.push(
          svg('path', {
            class: 'area',
            d: `${path}L${lastX},${baseline}L${firstX},${baseline}Z`,
            fill: one.color,
          }),
        );
      }
      shapes.push(svg('path', { class: 'line', d: path, stroke: one.color, data: { series: one.name } }));
    });

    const hover = [];
    if (hoverX !== undefined && count) {
      const index = Math.min(
        count - 1,
        Math.max(0, Math.round((((hoverX - MARGIN.left) / innerWidth) * span) / step - 1)),
      );
      const x = xOf(times[index] + step);
      hover.push(
        svg('line', { class: 'hover-line', x1: x, x2: x, y1: MARGIN.top, y2: MARGIN.top + innerHeight }),
      );
      tooltip.replaceChildren(
        h('div', { class: 'tooltip-time' }, relativeLabel(end - (times[index] + step))),
        ...series.map((one, s) =>
          h(
            'div',
            {},
            h('i', { class: 'swatch', style: { '--swatch': one.color } }),
            `${one.name}: ${values[s]?.[index] === null || values[s]?.[index] === undefined ? '–' : format(values[s][index])}`,
          ),
        ),
      );
      tooltip.hidden = false;
      tooltip.style.left = `${Math.min(x + 10, width - 150)}px`;
    } else {
      tooltip.hidden = true;
    }

    const chart = svg(
      'svg',
      { width, height, viewBox: `0 0 ${width} ${height}` },
      ...grid,
      ...shapes,
      ...hover,
      svg('rect', {
        class: 'hover-catcher',
        x: MARGIN.left,
        y: MARGIN.top,
        width: innerWidth,
        height: innerHeight,
      }),
    );
    plot.replaceChildren(chart);
  }

  plot.addEventListener('mousemove', (event) => {
    hoverX = event.clientX - plot.getBoundingClientRect().left;
    draw();
  });
  plot.addEventListener('mouseleave', () => {
    hoverX = undefined;
    draw();
  });

  return {
    element,
    update(next) {
      last = next;
      legendValues.forEach((legendValue, index) => {
        const row = next.values[index] ?? [];
        const latest = [...row].reverse().find((value) => value !== null && value !== undefined);
        legendValue.textContent = latest === undefined ? '–' : format(latest);
      });
      const first = next.values[0] ?? [];
      element.dataset.last = String(first.at(-1) ?? 0);
      element.dataset.max = String(Math.max(0, ...first.map((value) => value ?? 0)));
      draw();
    },
  };
}
