/**
 * `wasi:sockets/ip-name-lookup@0.3`: a name is resolved (Node's `dns.lookup`, the system resolver)
 * only when a `tcp://`, `udp://` or `*://` grant in allowed_outbound_hosts names it (any port);
 * an IP address is answered as itself without asking anyone.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { OutboundPolicy } from '../../http/outbound-policy.ts';
import { ResultError } from '../../result-error.ts';
import { type IpAddress, ipAddressOf } from './common.ts';

export type LookupErrorCode =
  | { tag: 'access-denied' | 'invalid-argument' | 'name-unresolvable' | 'temporary-resolver-failure' }
  | { tag: 'permanent-resolver-failure' }
  | { tag: 'other'; val: string | undefined };

function lookupError(tag: Exclude<LookupErrorCode['tag'], 'other'>): never {
  throw new ResultError<LookupErrorCode>({ tag } as LookupErrorCode);
}

export function nameLookupImports(outbound: OutboundPolicy, log: (message: string) => void) {
  return {
    async resolveAddresses(name: string): Promise<IpAddress[]> {
      const literal = name.replace(/^\[(.*)\]$/, '$1');
      if (isIP(literal)) return [ipAddressOf(literal)];
      const ascii = domainToASCII(name);
      if (!ascii || ascii.includes(':')) lookupError('invalid-argument');
      if (!['tcp', 'udp'].some((scheme) => outbound.allowsName(scheme, ascii))) {
        log(
          `name lookup of ${ascii} denied: add "tcp://${ascii}:<port>" (or udp://) to allowed_outbound_hosts`,
        );
        lookupError('access-denied');
      }
      try {
        const found = await lookup(ascii, { all: true, verbatim: true });
        return found.map((entry) => ipAddressOf(entry.address));
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA') lookupError('name-unresolvable');
        if (code === 'EAI_AGAIN' || code === 'ETIMEOUT') lookupError('temporary-resolver-failure');
        throw new ResultError<LookupErrorCode>({ tag: 'other', val: code });
      }
    },
  };
}
