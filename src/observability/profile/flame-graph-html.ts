/**
 * A GuestProfile as one self-contained HTML file: an interactive flame graph (click to zoom, hover
 * for self and total time, search) drawn as inline SVG by an inline script, and a table of the
 * functions with the most self time that reads without it. No network: a Content-Security-Policy
 * forbids every fetch, and the profile travels inside the page as escaped JSON.
 */
import { type FlameGraphData, showFlameGraph } from './flame-graph-client.ts';
import type { GuestProfile } from './guest-profile.ts';

/** Rows of the self-time table. */
const TOP_FUNCTIONS = 25;

const STYLE = `
  body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  .meta { color: #555; margin: 0 0 10px; }
  .controls { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
  .controls input { width: 320px; padding: 3px 6px; }
  #graph { width: 100%; overflow-x: hidden; }
  svg text { font: 11px ui-monospace, monospace; fill: #111; pointer-events: none; }
  .frame { cursor: pointer; }
  .frame.ancestor rect { opacity: 0.55; }
  .frame:hover rect { stroke: #222; stroke-width: 0.8; }
  #tooltip { position: fixed; max-width: 640px; background: #fffff4; border: 1px solid #999;
    padding: 4px 8px; font: 12px ui-monospace, monospace; pointer-events: none; word-break: break-all; }
  #tooltip .name { font-weight: bold; }
  table { border-collapse: collapse; margin-top: 6px; }
  td, th { padding: 2px 10px 2px 0; text-align: left; font: 12px ui-monospace, monospace; }
  td.number { text-align: right; }
`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON that cannot end its <script> element or open a comment inside it. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export function flameGraphHtml(profile: GuestProfile): string {
  const subject = profile.component === undefined ? 'all components' : `component ${profile.component}`;
  const seconds = (profile.durationMs / 1000).toFixed(2);
  const title = `Guest CPU profile: ${subject}, ${seconds} s, ${profile.samples} samples`;
  const kept =
    profile.component === undefined
      ? `${profile.samples} samples`
      : `${profile.samples} of ${profile.totalSamples} samples pass through ${profile.component}`;
  const meta = `${seconds} s from ${profile.startedAt} · ${kept} · one every ${profile.intervalUs} µs · components: ${
    profile.components.join(', ') || '(none)'
  }`;
  const data: FlameGraphData = { frames: profile.frames, stacks: profile.stacks };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(meta)}</p>
<div class="controls">
<input id="search" type="search" placeholder="Search functions" aria-label="Search functions">
<button id="reset" type="button">Reset zoom</button>
<span id="matched"></span>
</div>
<div id="graph"><svg id="flame" role="img" aria-label="Flame graph"></svg></div>
<div id="tooltip" hidden></div>
<h2>Most self time</h2>
${selfTimeTable(profile)}
<script type="application/json" id="profile-data">${scriptJson(data)}</script>
<script>(${String(showFlameGraph)})(JSON.parse(document.getElementById('profile-data').textContent));</script>
</body>
</html>
`;
}

/** The frames that were on top of the stack the longest. */
function selfTimeTable(profile: GuestProfile): string {
  const self = new Map<number, number>();
  let total = 0;
  for (const stack of profile.stacks) {
    const leaf = stack.frames.at(-1);
    if (leaf !== undefined) self.set(leaf, (self.get(leaf) ?? 0) + stack.timeUs);
    total += stack.timeUs;
  }
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_FUNCTIONS)
    .map(([index, us]) => {
      const frame = profile.frames[index];
      const share = total > 0 ? ((100 * us) / total).toFixed(1) : '0.0';
      return `<tr><td class="number">${(us / 1000).toFixed(1)} ms</td><td class="number">${share}%</td><td>${escapeHtml(
        frame?.name ?? '?',
      )}</td><td>${escapeHtml(frame?.component ?? '')}</td></tr>`;
    });
  return `<table>
<thead><tr><th>self</th><th>share</th><th>function</th><th>component</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}
