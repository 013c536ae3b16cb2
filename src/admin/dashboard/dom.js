/**
 * Building the page without innerHTML: everything the server sends (guest log lines included) is
 * untrusted and enters the DOM only as text nodes and attribute values.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An HTML element. `props`: `class`, `data` (dataset), `on` (event handlers), `text`, `style` (an
 * object of CSS properties), any other key
 * becomes an attribute (skipped when undefined or false). Children are nodes or strings (as text).
 */
export function h(tag, props = {}, ...children) {
  return fill(document.createElement(tag), props, children);
}

/** An SVG element, with the same props as `h`. */
export function svg(tag, props = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), props, children);
}

function fill(element, props, children) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false || value === null) continue;
    if (key === 'class') element.setAttribute('class', value);
    else if (key === 'data') Object.assign(element.dataset, value);
    else if (key === 'on')
      for (const [type, handler] of Object.entries(value)) element.addEventListener(type, handler);
    else if (key === 'text') element.textContent = String(value);
    // Through the CSSOM: the page's policy forbids style attributes, not style properties.
    else if (key === 'style')
      for (const [name, v] of Object.entries(value)) element.style.setProperty(name, v);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/** Milliseconds as a person reads them: 0.42 ms, 3.1 ms, 120 ms, 1.5 s. */
export function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  if (ms === 0) return '0 ms';
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** An axis tick in milliseconds: round numbers stay round (10 ms, not 10.0 ms). */
export function formatMsTick(ms) {
  if (ms >= 1000) return `${Number((ms / 1000).toPrecision(3))} s`;
  return `${Number(ms.toPrecision(3))} ms`;
}

/** A rate: 0, 0.4, 12.5, 1,240. */
export function formatRate(perSecond) {
  if (!Number.isFinite(perSecond)) return '–';
  if (perSecond === 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(1);
  return Math.round(perSecond).toLocaleString('en');
}

export function formatPercent(fraction) {
  if (!Number.isFinite(fraction)) return '–';
  if (fraction === 0) return '0%';
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

export function formatBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A wall-clock time of day with milliseconds, from epoch milliseconds or an ISO string. */
export function formatTime(time) {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time ?? '');
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** How long ago, coarsely: "4 s", "3 min", "2 h". */
export function formatDuration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

/** The CSS class of an HTTP status: ok, redirect, client-error, server-error. */
export function statusClass(status) {
  if (status >= 500) return 'status-5xx';
  if (status >= 400) return 'status-4xx';
  if (status >= 300) return 'status-3xx';
  return 'status-2xx';
}

/** A colour per series index that stays the same between refreshes. */
export const PALETTE = [
  '#2f6fde',
  '#e0692b',
  '#1f9d74',
  '#9b4dca',
  '#c7417b',
  '#6b8e23',
  '#d4a017',
  '#3a9fbf',
];
