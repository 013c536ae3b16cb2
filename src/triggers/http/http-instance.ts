/** Makes HTTP-handler instances of one component: its grants, its log prefix, its exported handler. */
import type { Component } from '../../engine/component.ts';
import type { PooledInstance } from '../../engine/instance-pool.ts';
import type { Deadline } from '../../engine/interrupt/guest-deadline.ts';
import { currentAccount } from '../../engine/interrupt/time-slice.ts';
import type { IncomingRequest, ResponseOutparam } from '../../wasi/http/messages.ts';
import { type ComponentGrants, instanceImports } from '../../wasi/imports.ts';
import { emptySource, lineSink } from '../../wasi/io/node-streams.ts';
import type { Request } from '../../wasi/p3/http-types.ts';
import type { HostLog } from './log.ts';

export interface HttpInstance extends PooledInstance {
  /** `wasi:http/incoming-handler@0.2.x#handle`. */
  handle(request: IncomingRequest, responseOut: ResponseOutparam): Promise<void>;
  /** `wasi:http/handler@0.3.x#handle`, when the component speaks WASI 0.3. */
  handleP3?(request: Request): Promise<unknown>;
  /** Resolves once the guest's async calls are all over (see GuestInstance.whenIdle). */
  whenIdle(): Promise<void>;
  deadline: Deadline;
}

/** The export is WASI 0.3's handler rather than 0.2's incoming-handler. */
export const isHandlerP3 = (exportName: string): boolean => exportName.startsWith('wasi:http/handler@0.3');

/**
 * Makes instances of one component. `behind`, for a middleware: the instance its imported
 * `wasi:http/handler` calls (the next middleware, or the app's handler).
 */
export function httpInstanceFactory(
  componentId: string,
  component: Component,
  exportName: string,
  grants: ComponentGrants,
  log: HostLog,
): (behind?: HttpInstance) => Promise<HttpInstance> {
  return async (behind) => {
    // A guest line names the request of the run that wrote it (its CPU account), or else the
    // request the instance serves: C's buffered stdout comes out at the reset after the call.
    let serving: number | undefined;
    const guestLog = (line: string) => log.guest(componentId, line, currentAccount()?.requestId ?? serving);
    const host = instanceImports(grants, {
      componentId,
      args: [],
      stdin: emptySource(),
      stdout: lineSink(guestLog),
      stderr: lineSink(guestLog),
      log: (message) => log.warn(`[${componentId}] ${message}`),
      guestLog,
    });
    try {
      const guest = await component.instantiate(behind ? withHandler(host.imports, behind) : host.imports);
      const handler = guest.exports[exportName];
      const p3 = isHandlerP3(exportName);
      return {
        handle: (request, responseOut) => {
          serving = currentAccount()?.requestId;
          return handler.handle(request, responseOut);
        },
        ...(p3 ? { handleP3: (request: Request) => handler.handle(request) } : {}),
        whenIdle: () => guest.whenIdle(),
        deadline: guest.deadline,
        dispose: () => {
          host.dispose();
          guest.dispose();
        },
        reset: () => {
          host.reset();
          return guest.reset();
        },
      };
    } catch (e) {
      host.dispose();
      throw e;
    }
  };
}

/** The host's imports, with `wasi:http/handler@0.3` answered by the instance behind a middleware. */
function withHandler(imports: Record<string, object>, behind: HttpInstance): Record<string, object> {
  const handler = {
    handle: (request: Request) => (behind.handleP3 as NonNullable<HttpInstance['handleP3']>)(request),
  };
  return new Proxy(imports, {
    get: (target, key) => (key === 'wasi:http/handler@0.3' ? handler : Reflect.get(target, key)),
  });
}
