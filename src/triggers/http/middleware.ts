/**
 * WASI 0.3 HTTP middleware (issue #10): components that import and export `wasi:http/handler`,
 * placed in front of an app's handler in the manifest (`middleware = ["auth", "compress"]`). At
 * load they are checked for that shape; per instance they are linked into a chain — each one's
 * imported handler is the next one's export — that the pool hands out, resets and disposes whole.
 */

import type { Component } from '../../engine/component.ts';
import { ComponentLoadError } from '../../engine/errors.ts';
import type { InstanceFactory } from '../../engine/instance-pool.ts';
import { DeadlineGroup } from '../../engine/interrupt/guest-deadline.ts';
import type { HttpInstance } from './http-instance.ts';
import { isHandlerP3 } from './http-instance.ts';

const importsHandlerP3 = (component: Component): boolean =>
  component.imports.some((name) => name.startsWith('wasi:http/handler@0.3'));

export interface Layer {
  id: string;
  component: Component;
  exportName: string;
}

/** Refuses at load a chain that cannot work, saying which component is at fault and why. */
export function checkMiddleware(app: Layer, layers: readonly Layer[]): void {
  if (layers.length === 0) return;
  if (!isHandlerP3(app.exportName))
    throw new ComponentLoadError(
      app.component.file,
      `component "${app.id}" has middleware, but its handler is ${app.exportName}; middleware calls a WASI 0.3 wasi:http/handler`,
      'build the component for WASI 0.3 (the wasi:http/service world), or remove its middleware',
    );
  for (const { id, component, exportName } of layers) {
    if (!isHandlerP3(exportName) || !importsHandlerP3(component))
      throw new ComponentLoadError(
        component.file,
        `component "${id}" is listed as middleware of "${app.id}" but does not both import and export wasi:http/handler@0.3 (it exports ${exportName})`,
        'build it for the wasi:http/middleware world',
      );
  }
}

/** Instances of the whole chain: the app's handler first, then each layer around it, outermost last. */
export function chainFactory(
  handler: InstanceFactory<HttpInstance>,
  layers: ReadonlyArray<(behind: HttpInstance) => Promise<HttpInstance>>,
): InstanceFactory<HttpInstance> {
  if (layers.length === 0) return handler;
  return async () => {
    const made: HttpInstance[] = [];
    try {
      let current = await handler();
      made.push(current);
      for (const layer of [...layers].reverse()) {
        current = await layer(current);
        made.push(current);
      }
    } catch (e) {
      for (const instance of made) instance.dispose();
      throw e;
    }
    const outer = made[made.length - 1] as HttpInstance;
    return {
      handle: outer.handle,
      ...(outer.handleP3 && { handleP3: outer.handleP3 }),
      deadline: new DeadlineGroup(made.map((m) => m.deadline)),
      whenIdle: () => Promise.all(made.map((m) => m.whenIdle())).then(() => {}),
      dispose: () => {
        for (const instance of made) instance.dispose();
      },
      // The chain is reused only as a whole: one member that cannot be reset discards it all.
      reset: () => made.every((m) => m.reset?.() ?? false),
    };
  };
}
