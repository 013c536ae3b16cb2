/**
 * `wasi:sockets/types@0.3` and `wasi:sockets/ip-name-lookup@0.3` for one instance: deny by
 * default (grants.ts); stopping the instance closes every socket it opened.
 */
import type { OutboundPolicy } from '../../http/outbound-policy.ts';
import { SocketGrants } from './grants.ts';
import { nameLookupImports } from './name-lookup.ts';
import { SocketSet, tcpSocketClass } from './tcp.ts';
import { udpSocketClass } from './udp.ts';

export function socketsImportsP3(
  outbound: OutboundPolicy,
  bindAddresses: string[],
  log: (message: string) => void,
  stopped: AbortSignal,
) {
  const grants = new SocketGrants(outbound, bindAddresses, log);
  const open = new SocketSet();
  stopped.addEventListener('abort', () => open.closeAll(), { once: true });
  return {
    types: { TcpSocket: tcpSocketClass(grants, open), UdpSocket: udpSocketClass(grants, open) },
    ipNameLookup: nameLookupImports(outbound, log),
  };
}
