/**
 * Outbound network grants: `allowed_outbound_hosts` (outbound HTTP, and WASI 0.3 sockets' connects)
 * and `allowed_bind_addresses` (what WASI 0.3 sockets may bind). Nothing is reachable unless listed.
 * The WASI host enforces them (src/wasi/http/outbound-policy.ts, src/wasi/p3/sockets/grants.ts).
 */

import { parseOutboundPattern } from '../../wasi/http/outbound-policy.ts';
import { bindAddressProblem } from '../../wasi/p3/sockets/grants.ts';
import type { Capability, ComponentTable } from '../capability.ts';

export const outboundNetwork: Capability = {
  name: 'outbound network',
  componentKeys: ['allowed_outbound_hosts', 'allowed_bind_addresses'],
  validate: (at) => ({
    allowedOutboundHosts: validateOutboundHosts(at),
    ...bindAddresses(validateBindAddresses(at)),
  }),
};

const OUTBOUND_FORM =
  'use scheme://host[:port], e.g. "https://example.com:443", "http://127.0.0.1:*" or "https://*.example.com"';
/** A DNS name (optionally `*.`-prefixed), `*`, an IPv4 address, or a bracketed IPv6 address. */
const OUTBOUND_HOST =
  /^(?:\*|(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** Checked with the runtime's own parser, so the loader accepts exactly what the outbound policy can enforce. */
function validateOutboundHosts({ checker, component, path: componentPath, spot }: ComponentTable): string[] {
  const key = 'allowed_outbound_hosts';
  const entries = checker.stringArray(
    component,
    key,
    componentPath,
    spot,
    `${key} = ["https://example.com:443"]`,
  );
  const valid: string[] = [];
  entries.forEach((entry, index) => {
    const problem = outboundHostProblem(entry);
    if (problem)
      checker.report(
        [...componentPath, key, index],
        `invalid ${key} entry in ${spot}: ${problem.message}`,
        problem.hint,
      );
    else valid.push(entry);
  });
  return valid;
}

/** `allowed_bind_addresses`: absent from the spec when not written (nothing may be bound). */
function bindAddresses(entries: string[]): { allowedBindAddresses?: string[] } {
  return entries.length > 0 ? { allowedBindAddresses: entries } : {};
}

/** Checked with the sockets host's own parser (p3/sockets/grants.ts). */
function validateBindAddresses({ checker, component, path: componentPath, spot }: ComponentTable): string[] {
  const key = 'allowed_bind_addresses';
  const entries = checker.stringArray(
    component,
    key,
    componentPath,
    spot,
    `${key} = ["tcp://127.0.0.1:8080"]`,
  );
  const valid: string[] = [];
  entries.forEach((entry, index) => {
    const problem = bindAddressProblem(entry);
    if (problem)
      checker.report(
        [...componentPath, key, index],
        `invalid ${key} entry in ${spot}: ${problem}`,
        BIND_FORM,
      );
    else valid.push(entry);
  });
  return valid;
}

const BIND_FORM =
  'use tcp://ADDRESS:PORT or udp://ADDRESS:PORT, e.g. "tcp://127.0.0.1:8080" or "udp://[::1]:*"';

/** Why `entry` is not a valid outbound destination, with the form to use instead. Shared with `--allow-outbound`. */
export function outboundHostProblem(entry: string): { message: string; hint: string } | undefined {
  if (!entry.includes('://')) {
    return { message: `"${entry}" has no scheme`, hint: `write "https://${entry}" (or "http://…", "*://…")` };
  }
  const withPath = /^([^:/]*:\/\/[^/]+)\/./.exec(entry);
  if (withPath)
    return {
      message: `"${entry}" has a path; only scheme, host and port are matched`,
      hint: `write "${withPath[1]}"`,
    };
  const rule = parseOutboundPattern(entry);
  if (typeof rule === 'string') return { message: rule, hint: OUTBOUND_FORM };
  const host = /^[^:]*:\/\/(\[[^\]]*\]|[^:/]*)/.exec(entry)?.[1] ?? '';
  if (!OUTBOUND_HOST.test(host))
    return {
      message: `"${entry}": "${host}" is not a host name, IP address, "*" or "*.domain"`,
      hint: OUTBOUND_FORM,
    };
  return undefined;
}
