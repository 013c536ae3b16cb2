/**
 * What a component may do with `wasi:sockets`: nothing unless granted.
 * - Connecting (TCP connect, UDP connect and send) needs an `allowed_outbound_hosts` entry
 *   (`--allow-outbound`) with scheme `tcp` or `udp` (or `*`), e.g. `tcp://127.0.0.1:5432`,
 *   `udp://10.0.0.8:*`. As for HTTP, a `*` or a name never reaches a loopback, private or
 *   link-local address: those must be named by address (or `localhost` for loopback).
 * - Binding a local address (explicit bind, and TCP listen without one) needs an
 *   `allowed_bind_addresses` entry (`--allow-bind`) of the same form: `tcp://127.0.0.1:8080`,
 *   `udp://[::1]:*`, `tcp://*:*` (any local address). Port 0 (an ephemeral port) needs `:*`.
 *   The implicit bind of a connect or send is to an ephemeral port and needs no bind grant.
 * A refusal is `access-denied` and logs the entry that would allow it.
 */

import { OutboundPolicy, parseOutboundPattern } from '../../http/outbound-policy.ts';
import { isLoopback } from '../../http/special-addresses.ts';
import { fail, type SocketAddress, showAddress } from './common.ts';

type Rule = Exclude<ReturnType<typeof parseOutboundPattern>, string>;

/** Why `entry` is not a valid bind grant (`tcp://127.0.0.1:8080`), or undefined. */
export function bindAddressProblem(entry: string): string | undefined {
  const rule = parseOutboundPattern(entry);
  if (typeof rule === 'string') return rule;
  if (rule.scheme !== 'tcp' && rule.scheme !== 'udp' && rule.scheme !== '*')
    return `"${entry}": scheme must be tcp, udp or *`;
  if (rule.host !== '*' && rule.host !== 'localhost' && !/^[\d.]+$|^\[[0-9a-f:.]+\]$/i.test(rule.host))
    return `"${entry}": the host must be an IP address, "localhost" or "*"`;
  if (rule.ports === 'default') return `"${entry}": name the port, or "*" for any`;
  return undefined;
}

export class SocketGrants {
  readonly #outbound: OutboundPolicy;
  readonly #bind: Rule[];
  readonly #log: (message: string) => void;

  constructor(outbound: OutboundPolicy, bindPatterns: string[], log: (message: string) => void) {
    this.#outbound = outbound;
    this.#bind = bindPatterns.map((p) => {
      const problem = bindAddressProblem(p);
      if (problem) throw new Error(`allowed bind address ${problem}`);
      return parseOutboundPattern(p) as Rule;
    });
    this.#log = log;
  }

  static deny(log: (message: string) => void = () => {}): SocketGrants {
    return new SocketGrants(OutboundPolicy.deny(), [], log);
  }

  /** Throws `access-denied` (and logs the grant that would allow it) unless connecting is granted. */
  checkConnect(protocol: 'tcp' | 'udp', to: SocketAddress): void {
    const host = to.family === 'ipv6' ? `[${to.ip}]` : to.ip;
    if (
      this.#outbound.allows(protocol, host, to.port) &&
      this.#outbound.allowsAddress(protocol, host, to.port, to.ip)
    )
      return;
    const entry = `${protocol}://${showAddress(to)}`;
    this.#log(
      `${protocol} connection to ${showAddress(to)} denied: add "${entry}" to allowed_outbound_hosts`,
    );
    fail('access-denied');
  }

  /** Throws `access-denied` (and logs the grant that would allow it) unless binding is granted. */
  checkBind(protocol: 'tcp' | 'udp', local: SocketAddress): void {
    const ip = local.ip.toLowerCase();
    const granted = this.#bind.some((rule) => {
      if (rule.scheme !== '*' && rule.scheme !== protocol) return false;
      const host = rule.host.replace(/^\[|\]$/g, '');
      if (host !== '*' && host !== ip && !(host === 'localhost' && isLoopback(ip))) return false;
      if (rule.ports === '*') return true;
      if (rule.ports === 'default' || local.port === 0) return false;
      return local.port >= rule.ports.from && local.port <= rule.ports.to;
    });
    if (granted) return;
    const port = local.port === 0 ? '*' : String(local.port);
    const host = local.family === 'ipv6' ? `[${local.ip}]` : local.ip;
    this.#log(
      `${protocol} bind to ${showAddress(local)} denied: add "${protocol}://${host}:${port}" to allowed_bind_addresses`,
    );
    fail('access-denied');
  }
}
