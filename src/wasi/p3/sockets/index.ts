/**
 * `wasi:sockets/types@0.3` and `wasi:sockets/ip-name-lookup@0.3` for one instance: deny by
 * default (grants.ts); stopping the instance (or resetting it, through `open`) closes every
 * socket it opened.
 */
import type { OutboundPolicy } from '../../http/outbound-policy.ts';
import { SocketGrants } from './grants.ts';
import { nameLookupImports } from './name-lookup.ts';
import { SocketSet, tcpSocketClass } from './tcp.ts';

export { SocketSet };

import { udpSocketClass } from './udp.ts';

export function socketsImportsP3(
  outbound: OutboundPolicy,
  bindAddresses: string[],
  log: (message: string) => void,
  stopped: AbortSignal,
  open: SocketSet = new SocketSet(),
) {
  const grants = new SocketGrants(outbound, bindAddresses, log);
  stopped.addEventListener('abort', () => open.closeAll(), { once: true });
  return {
    types: { TcpSocket: tcpSocketClass(grants, open), UdpSocket: udpSocketClass(grants, open) },
    ipNameLookup: nameLookupImports(outbound, log),
  };
}
