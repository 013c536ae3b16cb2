/** Makes HTTP-handler instances of one component: its grants, its log prefix, its exported handler. */
import type { Component } from '../../engine/component.ts';
import type { InstanceFactory, PooledInstance } from '../../engine/instance-pool.ts';
import type { GuestDeadline } from '../../engine/interrupt/guest-deadline.ts';
import type { IncomingRequest, ResponseOutparam } from '../../wasi/http/messages.ts';
import { type ComponentGrants, instanceImports } from '../../wasi/imports.ts';
import { emptySource, lineSink } from '../../wasi/io/node-streams.ts';
import type { HostLog } from './log.ts';

export interface HttpInstance extends PooledInstance {
  handle(request: IncomingRequest, responseOut: ResponseOutparam): Promise<void>;
  deadline: GuestDeadline;
}

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
      return {
        handle: (request, responseOut) => handler.handle(request, responseOut),
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
