/**
 * Which outbound destinations a component may reach: deny by default, allow what the manifest's
 * `allowed_outbound_hosts` (or `--allow-outbound`) lists, e.g. `https://api.example.com:443`,
 * `http://127.0.0.1:*`, `https://*.example.com`, `*://localhost:3000-3010`; `tcp://` and `udp://`
 * entries (a port is required) grant wasi:sockets connections (p3/sockets/grants.ts).
 */
import { isLoopback, isSpecialAddress } from './special-addresses.ts';

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

interface AllowRule {
  scheme: string; // 'http' | 'https' | 'tcp' | 'udp' | '*'
  host: string; // exact, '*' or '*.suffix'
  ports: { from: number; to: number } | 'default' | '*';
}

/** Returns the rule, or a message saying how the pattern is malformed. */
export function parseOutboundPattern(pattern: string): AllowRule | string {
  const match = /^([a-z*]+):\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+)(?::([0-9]+|\*|[0-9]+-[0-9]+))?\/?$/.exec(
    pattern.trim(),
  );
  if (!match) return `"${pattern}" is not of the form scheme://host[:port], e.g. "https://example.com:443"`;
  const [, scheme = '', host = '', port] = match;
  if (!['http', 'https', 'tcp', 'udp', '*'].includes(scheme))
    return `"${pattern}": scheme must be http, https, tcp, udp or *`;
  // wasi:sockets grants: a raw socket has no default port, so one must be named ("*" for any).
  if ((scheme === 'tcp' || scheme === 'udp') && !port)
    return `"${pattern}": a ${scheme} entry needs a port (or "*")`;
  if (host.includes('*') && host !== '*' && !/^\*\.[^*]+$/.test(host)) {
    return `"${pattern}": a host wildcard must be "*" or "*.domain"`;
  }
  let ports: AllowRule['ports'] = 'default';
  if (port === '*') ports = '*';
  else if (port) {
    const [from, to = from] = port.split('-').map(Number) as [number, number?];
    if (from < 1 || (to as number) > 65535 || from > (to as number)) return `"${pattern}": port out of range`;
    ports = { from, to: to as number };
  }
  return { scheme, host: host.toLowerCase(), ports };
}

export class OutboundPolicy {
  readonly #rules: AllowRule[];
  private constructor(rules: AllowRule[]) {
    this.#rules = rules;
  }

  static deny(): OutboundPolicy {
    return new OutboundPolicy([]);
  }

  /** Throws on a malformed pattern; the manifest loader reports those with file:line first. */
  static fromPatterns(patterns: string[]): OutboundPolicy {
    return new OutboundPolicy(
      patterns.map((p) => {
        const rule = parseOutboundPattern(p);
        if (typeof rule === 'string') throw new Error(`allowed outbound host ${rule}`);
        return rule;
      }),
    );
  }

  /** Whether a request to scheme://host:port is granted (by name; see allowsAddress for the IP). */
  allows(scheme: string, host: string, port: number): boolean {
    return this.#matching(scheme, host, port).length > 0;
  }

  /**
   * Whether the address a granted host resolved to may be connected to. Public addresses may;
   * loopback, private and link-local ones only when a matching grant names that exact address
   * (or `localhost` for loopback) — a wildcard or a DNS name never leads there.
   */
  allowsAddress(scheme: string, host: string, port: number, address: string): boolean {
    if (!isSpecialAddress(address)) return true;
    const ip = address.toLowerCase();
    return this.#matching(scheme, host, port).some((rule) => {
      const ruleHost = rule.host.replace(/^\[|\]$/g, '');
      return ruleHost === ip || (ruleHost === 'localhost' && isLoopback(ip));
    });
  }

  /** Whether some grant for `scheme` names `host` (any port): what a DNS lookup of it needs. */
  allowsName(scheme: string, host: string): boolean {
    return this.#matching(scheme, host, -1, true).length > 0;
  }

  #matching(scheme: string, host: string, port: number, anyPort = false): AllowRule[] {
    const name = host.toLowerCase().replace(/^\[|\]$/g, '');
    return this.#rules.filter((rule) => {
      if (rule.scheme !== '*' && rule.scheme !== scheme) return false;
      const ruleHost = rule.host.replace(/^\[|\]$/g, '');
      if (
        ruleHost !== '*' &&
        ruleHost !== name &&
        !(ruleHost.startsWith('*.') && name.endsWith(ruleHost.slice(1)))
      ) {
        return false;
      }
      if (rule.ports === '*' || anyPort) return true;
      if (rule.ports === 'default') return DEFAULT_PORTS[scheme] === port;
      return port >= rule.ports.from && port <= rule.ports.to;
    });
  }
}
