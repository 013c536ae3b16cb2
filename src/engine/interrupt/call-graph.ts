/**
 * Which functions need a check at their entry. Code without loops runs unboundedly only through
 * an endless chain of calls, and such a chain, over finitely many functions, goes round a cycle of
 * the call graph. So it is enough that every cycle holds a checked function:
 * - a function on a cycle of direct calls (its strongly connected component has an edge), and
 * - a function whose calls may lead anywhere: indirect calls, and calls to imports (the host may
 *   call back into the instance, and imports link other core modules of the component).
 * A function that calls only other functions directly, off every cycle, needs none: whatever runs
 * long below it is stopped by its callees' own checks.
 */

/**
 * `callees[f]`: the functions `f` calls directly (indices among the module's defined functions);
 * `opaque[f]`: whether `f` also makes a call that may lead anywhere. Iterative Tarjan, so deep
 * call chains in big modules do not exhaust the host's stack.
 */
export function needsEntryCheck(callees: number[][], opaque: boolean[]): boolean[] {
  const count = callees.length;
  const order = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const needed = opaque.slice();
  let next = 0;
  for (let root = 0; root < count; root++) {
    if (order[root] !== -1) continue;
    // Each frame: a function and how many of its callees have been visited.
    const frames: Array<[number, number]> = [[root, 0]];
    order[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as [number, number];
      const [v, i] = frame;
      const edges = callees[v] as number[];
      if (i < edges.length) {
        frame[1] = i + 1;
        const w = edges[i] as number;
        if (order[w] === -1) {
          order[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          frames.push([w, 0]);
        } else if (onStack[w]) low[v] = Math.min(low[v] as number, order[w] as number);
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] !== order[v]) continue;
      const component: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.includes(v)) for (const f of component) needed[f] = true;
    }
  }
  return needed;
}
