/**
 * `skiff up --watch`: a change to a component's watched files rebuilds it and swaps it in.
 * Requests in flight finish on the old version; a build or load that fails leaves the old version
 * serving and prints why. A component with a build section is watched through its `watch` globs
 * (relative to its workdir); every component is also watched through its `.wasm`, so a build run
 * by another tool is picked up too.
 */
import { type FSWatcher, watch } from 'node:fs';
import { dirname, isAbsolute, join, matchesGlob, relative, sep } from 'node:path';
import type { App, ComponentSpec } from '../manifest/app.ts';

/** Changes closer together than this are one change (editors write a file in several steps). */
const SETTLE_MS = 150;

export interface WatchHooks {
  /** Runs the component's build command; false when it failed (it has said why). */
  build(spec: ComponentSpec): Promise<boolean>;
  /** Loads the component again and swaps it in; throws when it cannot be loaded. */
  reload(id: string): Promise<void>;
  say(line: string): void;
}

interface Watched {
  spec: ComponentSpec;
  /** Absolute glob patterns of the files whose change means a rebuild. */
  sources: string[];
}

/** The folder a glob cannot match outside of: everything before its first wildcard segment. */
function globRoot(pattern: string): string {
  const segments = pattern.split(sep);
  const wild = segments.findIndex((segment) => /[*?[{]/.test(segment));
  return wild < 0 ? dirname(pattern) : segments.slice(0, wild).join(sep) || sep;
}

function watchFolder(folder: string, recursive: boolean, onPath: (path: string) => void): FSWatcher {
  return watch(folder, { recursive }, (_event, file) => {
    if (file) onPath(join(folder, file.toString()));
  }).on('error', () => {});
}

/**
 * One recursive watcher per distinct glob root (a root inside another is covered by the outer
 * one), and a shallow one per artifact folder (a Rust target folder holds thousands of files).
 */
function watchAll(
  globRoots: string[],
  artifactFolders: string[],
  onPath: (path: string) => void,
): FSWatcher[] {
  const roots = [...new Set(globRoots)];
  const outermost = roots.filter(
    (root) => !roots.some((other) => other !== root && root.startsWith(other + sep)),
  );
  const shallow = [...new Set(artifactFolders)].filter(
    (folder) => !outermost.some((root) => folder === root || folder.startsWith(root + sep)),
  );
  return [
    ...outermost.map((root) => watchFolder(root, true, onPath)),
    ...shallow.map((folder) => watchFolder(folder, false, onPath)),
  ];
}

export function watchApp(app: App, hooks: WatchHooks): { close(): void } {
  const watched: Watched[] = [...app.components.values()].map((spec) => ({
    spec,
    sources: (spec.build?.watch ?? []).map((glob) =>
      isAbsolute(glob) ? glob : join(spec.build?.workdir ?? app.baseDir, glob),
    ),
  }));

  /** Per component: what the next round must do, and whether a round is running. */
  const pending = new Map<string, 'build' | 'reload'>();
  const running = new Set<string>();
  /** After a round, the artifact's own change events (delivered late) are not a new change. */
  const quietUntil = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  const round = async (spec: ComponentSpec, work: 'build' | 'reload'): Promise<void> => {
    running.add(spec.id);
    try {
      const started = performance.now();
      if (work === 'build') {
        hooks.say(`[${spec.id}] changed: rebuilding`);
        if (!(await hooks.build(spec))) {
          hooks.say(`[${spec.id}] build failed; still serving the previous version`);
          return;
        }
      }
      try {
        await hooks.reload(spec.id);
        hooks.say(`[${spec.id}] reloaded in ${Math.round(performance.now() - started)} ms`);
      } catch (e) {
        hooks.say(
          `[${spec.id}] the new version cannot be loaded; still serving the previous one:\n  ${(e as Error).message}`,
        );
      }
    } finally {
      running.delete(spec.id);
      quietUntil.set(spec.id, performance.now() + 2 * SETTLE_MS);
      settle();
    }
  };

  /** Starts a round for each component with pending work and none running. */
  const flush = () => {
    timer = undefined;
    for (const [id, work] of pending) {
      if (running.has(id)) continue;
      pending.delete(id);
      void round(app.components.get(id) as ComponentSpec, work);
    }
  };
  const settle = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, SETTLE_MS);
  };

  const onPath = (path: string) => {
    for (const { spec, sources } of watched) {
      if (sources.some((glob) => matchesGlob(path, glob))) pending.set(spec.id, 'build');
      // The artifact itself: reload, unless a rebuild is coming anyway (it reloads after).
      else if (
        path === spec.source &&
        !running.has(spec.id) &&
        pending.get(spec.id) !== 'build' &&
        performance.now() > (quietUntil.get(spec.id) ?? 0)
      )
        pending.set(spec.id, 'reload');
      else continue;
      settle();
    }
  };
  const watchers = watchAll(
    watched.flatMap(({ sources }) => sources.map(globRoot)),
    watched.map(({ spec }) => dirname(spec.source)),
    onPath,
  );
  const described = watched.map(({ spec, sources }) =>
    sources.length > 0 ? `${spec.id} (${sources.map((s) => relative(app.baseDir, s)).join(', ')})` : spec.id,
  );
  hooks.say(`Watching ${described.join('; ')}`);
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
