/** Makes HTTP-handler instances of one component: its grants, its log prefix, its exported handler. */
import type { Component } from '../../engine/component.ts';
import type { InstanceFactory, PooledInstance } from '../../engine/instance-pool.ts';
import type { GuestDeadline } from '../../engine/interrupt/guest-deadline.ts';
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
  deadline: GuestDeadline;
}

/** The export is WASI 0.3's handler rather than 0.2's incoming-handler. */
export const isHandlerP3 = (exportName: string): boolean => exportName.startsWith('wasi:http/handler@0.3');

export function httpInstanceFactory(
  componentId: string,
  component: Component,
  exportName: string,
  grants: ComponentGrants,
  log: HostLog,
): InstanceFactory<HttpInstance> {
  const guestLog = (line: string) => log.guest(componentId, line);
  return async () => {
    const host = instanceImports(grants, {
      componentId,
      args: [],
      stdin: emptySource(),
      stdout: lineSink(guestLog),
      stderr: lineSink(guestLog),
      log: (message) => log.warn(`[${componentId}] ${message}`),
    });
    try {
      const guest = await component.instantiate(host.imports);
      const handler = guest.exports[exportName];
      const p3 = isHandlerP3(exportName);
      return {
        handle: (request, responseOut) => handler.handle(request, responseOut),
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
