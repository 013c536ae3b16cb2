/**
 * The app's components from /api/overview: how each is run (lifecycle, limits), its instances
 * right now (busy ones serving a request, idle ones pooled), the routes it serves, and a button
 * that profiles it.
 */
import { formatBytes, formatMs, h } from './dom.js';

const PROFILE_SECONDS = [2, 5, 10, 30];
const DEFAULT_PROFILE_SECONDS = 5;

function limitText(value, format) {
  return typeof value === 'number' && Number.isFinite(value) ? format(value) : 'none';
}

/** Busy and idle instances as a bar of cells, so a glance tells how full the pool is. */
function instanceBar(instances) {
  const busy = Math.max(0, Number(instances?.busy) || 0);
  const idle = Math.max(0, Number(instances?.idle) || 0);
  const shown = Math.min(busy + idle, 40);
  const cells = [];
  for (let i = 0; i < shown; i++)
    cells.push(h('i', { class: i < Math.min(busy, shown) ? 'cell busy' : 'cell idle' }));
  return h(
    'div',
    { class: 'instances', data: { busy: String(busy), idle: String(idle) } },
    h(
      'div',
      { class: 'instance-cells' },
      cells.length ? cells : h('span', { class: 'muted' }, 'no instance yet'),
    ),
    h(
      'div',
      { class: 'instance-legend' },
      h('b', {}, String(busy)),
      ' busy · ',
      h('b', {}, String(idle)),
      ' idle',
    ),
  );
}

/** `onProfile(componentId, seconds)` runs when a Profile button is pressed. */
export function createComponents(container, onProfile) {
  const cards = new Map();
  let shownKey = '';

  function card(component) {
    const seconds = h(
      'select',
      { 'aria-label': `Seconds to profile ${component.id}` },
      PROFILE_SECONDS.map((n) =>
        h('option', { value: String(n), selected: n === DEFAULT_PROFILE_SECONDS }, `${n} s`),
      ),
    );
    const button = h(
      'button',
      {
        type: 'button',
        class: 'profile-button',
        data: { component: component.id },
        on: { click: () => onProfile(component.id, Number(seconds.value)) },
      },
      'Profile',
    );
    const lifecycle = h('span', { class: 'pill' });
    const source = h('div', { class: 'component-source' });
    const limits = h('dl', { class: 'limits' });
    const routes = h('div', { class: 'component-routes' });
    const instances = h('div');
    const element = h(
      'article',
      { class: 'component-card', data: { component: component.id } },
      h('header', {}, h('h3', {}, component.id), lifecycle),
      source,
      instances,
      limits,
      routes,
      h('div', { class: 'profile-controls' }, button, seconds),
    );
    return {
      element,
      update(next, servedRoutes) {
        lifecycle.textContent = next.lifecycle ?? 'unknown lifecycle';
        lifecycle.title =
          next.lifecycle === 'reuse'
            ? 'one instance serves request after request'
            : 'every request sees a just-instantiated instance';
        source.textContent = next.source ?? '';
        source.title = next.source ?? '';
        const l = next.limits ?? {};
        limits.replaceChildren(
          h('dt', {}, 'timeout'),
          h('dd', {}, limitText(l.timeoutMs, formatMs)),
          h('dt', {}, 'CPU / request'),
          h('dd', {}, limitText(l.maxCpuMs, formatMs)),
          h('dt', {}, 'memory'),
          h('dd', {}, formatBytes(l.maxMemoryBytes)),
          h('dt', {}, 'concurrent'),
          h('dd', {}, limitText(l.maxConcurrent, String)),
        );
        instances.replaceChildren(instanceBar(next.instances));
        routes.replaceChildren(
          ...(servedRoutes.length
            ? servedRoutes.map((route) => h('code', {}, route))
            : [h('span', { class: 'muted' }, 'no public route')]),
        );
      },
    };
  }

  return {
    update(overview) {
      const components = overview.components ?? [];
      const key = components.map((component) => component.id).join('\u0000');
      if (key !== shownKey) {
        shownKey = key;
        cards.clear();
        container.replaceChildren(
          ...components.map((component) => {
            const one = card(component);
            cards.set(component.id, one);
            return one.element;
          }),
        );
        if (!components.length) container.append(h('p', { class: 'muted' }, 'This app has no components.'));
      }
      for (const component of components) {
        const served = (overview.routes ?? [])
          .filter((r) => r.component === component.id)
          .map((r) => r.route);
        cards.get(component.id)?.update(component, served);
      }
    },
    /** Disables every Profile button while a profile runs (the server runs one at a time). */
    setProfiling(running) {
      for (const button of container.querySelectorAll('.profile-button')) button.disabled = running;
    },
  };
}
