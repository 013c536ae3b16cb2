/**
 * The flame graph page's script. It runs in the browser, not here: `flameGraphHtml` inlines its
 * source (`String(showFlameGraph)`), so it may use nothing from outside its own body. Kept as
 * TypeScript so that it is type-checked and linted with the rest. Names come from guests: they are
 * only ever set as text (`textContent`), never parsed as HTML.
 */
import type { ProfileFrame, ProfileStack } from './guest-profile.ts';

export interface FlameGraphData {
  frames: ProfileFrame[];
  stacks: ProfileStack[];
}

export function showFlameGraph(data: FlameGraphData): void {
  type Node = {
    frame: ProfileFrame | undefined;
    total: number;
    self: number;
    samples: number;
    depth: number;
    parent: Node | undefined;
    children: Map<number, Node>;
  };
  const ROW = 18;
  const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const svg = byId('flame') as unknown as SVGSVGElement;
  // The page's own <svg> says its namespace, so the page holds no URL at all.
  const SVG = svg.namespaceURI;
  const tooltip = byId<HTMLDivElement>('tooltip');
  const search = byId<HTMLInputElement>('search');
  const matched = byId<HTMLSpanElement>('matched');

  const root: Node = {
    frame: undefined,
    total: 0,
    self: 0,
    samples: 0,
    depth: 0,
    parent: undefined,
    children: new Map(),
  };
  let maxDepth = 0;
  for (const stack of data.stacks) {
    let node = root;
    node.total += stack.timeUs;
    node.samples += stack.samples;
    for (const index of stack.frames) {
      let child = node.children.get(index);
      if (!child) {
        const depth: number = node.depth + 1;
        child = {
          frame: data.frames[index],
          total: 0,
          self: 0,
          samples: 0,
          depth,
          parent: node,
          children: new Map(),
        };
        node.children.set(index, child);
        maxDepth = Math.max(maxDepth, depth);
      }
      child.total += stack.timeUs;
      child.samples += stack.samples;
      node = child;
    }
    node.self += stack.timeUs;
  }

  const nameOf = (node: Node) => node.frame?.name ?? 'all';
  const ms = (us: number) => `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  const percent = (us: number) => `${root.total > 0 ? ((100 * us) / root.total).toFixed(1) : '0.0'}%`;
  const hue = (text: string) => {
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
    return h;
  };
  const colour = (node: Node) => {
    const frame = node.frame;
    if (!frame) return 'hsl(0, 0%, 80%)';
    if (frame.kind === 'component') return 'hsl(140, 45%, 55%)';
    if (frame.kind === 'host') return `hsl(210, 18%, ${62 + (hue(frame.name) % 16)}%)`;
    const h = hue(frame.name);
    return `hsl(${10 + (h % 40)}, ${70 + (h % 20)}%, ${55 + (h % 10)}%)`;
  };

  let focus: Node = root;
  let term = '';
  const isMatch = (node: Node) => term !== '' && nameOf(node).toLowerCase().includes(term);

  function render(): void {
    const width = Math.max(200, svg.parentElement?.clientWidth ?? 800);
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String((maxDepth + 1) * ROW));
    svg.replaceChildren();
    for (let node: Node | undefined = focus.parent; node; node = node.parent) draw(node, 0, width, true);
    const scale = focus.total > 0 ? width / focus.total : 0;
    const walk = (node: Node, x: number) => {
      const w = node.total * scale;
      if (w < 0.5) return;
      draw(node, x, w, false);
      let childX = x;
      for (const child of [...node.children.values()].sort((a, b) => b.total - a.total)) {
        walk(child, childX);
        childX += child.total * scale;
      }
    };
    walk(focus, 0);
    let matchedUs = 0;
    const sum = (node: Node) => {
      if (isMatch(node)) matchedUs += node.total;
      else for (const child of node.children.values()) sum(child);
    };
    sum(root);
    matched.textContent = term === '' ? '' : `matched: ${ms(matchedUs)} (${percent(matchedUs)})`;
  }

  function draw(node: Node, x: number, w: number, ancestor: boolean): void {
    const group = document.createElementNS(SVG, 'g');
    group.setAttribute('class', ancestor ? 'frame ancestor' : 'frame');
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', x.toFixed(1));
    rect.setAttribute('y', String(node.depth * ROW));
    rect.setAttribute('width', Math.max(0, w - 1).toFixed(1));
    rect.setAttribute('height', String(ROW - 1));
    rect.setAttribute('fill', isMatch(node) ? 'hsl(300, 80%, 65%)' : colour(node));
    group.append(rect);
    const fits = Math.floor((w - 6) / 7);
    if (fits >= 3) {
      const text = document.createElementNS(SVG, 'text');
      text.setAttribute('x', (x + 3).toFixed(1));
      text.setAttribute('y', String(node.depth * ROW + ROW - 5));
      const name = nameOf(node);
      text.textContent = name.length <= fits ? name : `${name.slice(0, fits - 1)}…`;
      group.append(text);
    }
    group.addEventListener('click', () => {
      focus = node;
      render();
    });
    group.addEventListener('mousemove', (event) => showTooltip(node, event as MouseEvent));
    group.addEventListener('mouseleave', () => {
      tooltip.hidden = true;
    });
    svg.append(group);
  }

  function showTooltip(node: Node, event: MouseEvent): void {
    const frame = node.frame;
    const lines = [
      nameOf(node),
      frame?.kind === 'guest'
        ? `guest function of ${frame.component}`
        : frame
          ? `${frame.kind} frame`
          : 'every kept sample',
      ...(frame?.symbol ? [`symbol: ${frame.symbol}`] : []),
      `total: ${ms(node.total)} (${percent(node.total)}), ${node.samples} samples`,
      `self: ${ms(node.self)} (${percent(node.self)})`,
    ];
    tooltip.replaceChildren(
      ...lines.map((line, i) => {
        const div = document.createElement('div');
        if (i === 0) div.className = 'name';
        div.textContent = line;
        return div;
      }),
    );
    tooltip.hidden = false;
    const left = Math.min(event.clientX + 12, window.innerWidth - tooltip.offsetWidth - 8);
    tooltip.style.left = `${Math.max(0, left)}px`;
    tooltip.style.top = `${event.clientY + 14}px`;
  }

  search.addEventListener('input', () => {
    term = search.value.trim().toLowerCase();
    render();
  });
  byId<HTMLButtonElement>('reset').addEventListener('click', () => {
    focus = root;
    render();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    focus = root;
    render();
  });
  window.addEventListener('resize', render);
  render();
}
