/**
 * What `wasi:sockets@0.3`'s TCP and UDP sockets share: the WIT's address and error-code shapes,
 * converting addresses to and from Node's strings, the argument checks the WIT asks for, and
 * libuv's error numbers mapped to `error-code`.
 */
import { isIP } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { ResultError } from '../../result-error.ts';

export type IpAddressFamily = 'ipv4' | 'ipv6';
export type Ipv4Address = [number, number, number, number];
export type Ipv6Address = [number, number, number, number, number, number, number, number];
export type IpAddress = { tag: 'ipv4'; val: Ipv4Address } | { tag: 'ipv6'; val: Ipv6Address };
export type IpSocketAddress =
  | { tag: 'ipv4'; val: { port: number; address: Ipv4Address } }
  | { tag: 'ipv6'; val: { port: number; flowInfo: number; address: Ipv6Address; scopeId: number } };

export type ErrorCode =
  | {
      tag:
        | 'access-denied'
        | 'not-supported'
        | 'invalid-argument'
        | 'out-of-memory'
        | 'timeout'
        | 'invalid-state'
        | 'address-not-bindable'
        | 'address-in-use'
        | 'remote-unreachable'
        | 'connection-refused'
        | 'connection-broken'
        | 'connection-reset'
        | 'connection-aborted'
        | 'datagram-too-large';
    }
  | { tag: 'other'; val: string | undefined };

/** The result an operation failed with (what a `result<_, error-code>` future resolves to). */
export type Outcome = { tag: 'ok' } | { tag: 'err'; val: ErrorCode };

export function fail(tag: Exclude<ErrorCode['tag'], 'other'>): never {
  throw new ResultError<ErrorCode>({ tag });
}

/** libuv's (negative) error numbers as the WIT's error codes. */
export function errorCodeOf(errno: number | string | undefined): ErrorCode {
  const name = typeof errno === 'number' ? safeName(errno) : (errno ?? 'unknown');
  switch (name) {
    case 'EACCES':
    case 'EPERM':
      return { tag: 'access-denied' };
    case 'EOPNOTSUPP':
    case 'ENOPROTOOPT':
    case 'EPFNOSUPPORT':
    case 'EPROTONOSUPPORT':
    case 'ESOCKTNOSUPPORT':
      return { tag: 'not-supported' };
    case 'EINVAL':
    case 'EDESTADDRREQ':
    case 'EAFNOSUPPORT':
      return { tag: 'invalid-argument' };
    case 'ENOMEM':
    case 'ENOBUFS':
      return { tag: 'out-of-memory' };
    case 'ETIMEDOUT':
      return { tag: 'timeout' };
    case 'EISCONN':
    case 'ENOTCONN':
    case 'EALREADY':
      return { tag: 'invalid-state' };
    case 'EADDRNOTAVAIL':
      return { tag: 'address-not-bindable' };
    case 'EADDRINUSE':
      return { tag: 'address-in-use' };
    case 'EHOSTUNREACH':
    case 'EHOSTDOWN':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'ENONET':
      return { tag: 'remote-unreachable' };
    case 'ECONNREFUSED':
      return { tag: 'connection-refused' };
    case 'EPIPE':
      return { tag: 'connection-broken' };
    case 'ECONNRESET':
      return { tag: 'connection-reset' };
    case 'ECONNABORTED':
      return { tag: 'connection-aborted' };
    case 'EMSGSIZE':
      return { tag: 'datagram-too-large' };
    default:
      return { tag: 'other', val: name };
  }
}

function safeName(errno: number): string {
  try {
    return getSystemErrorName(errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** Throws the error code for a libuv error number (< 0); does nothing for 0. */
export function check(errno: number): void {
  if (errno < 0) throw new ResultError<ErrorCode>(errorCodeOf(errno));
}

/** A Node error (`code: 'ECONNRESET'`) as an error code. */
export function errorCodeOfError(error: unknown): ErrorCode {
  const code = (error as { code?: unknown })?.code;
  return errorCodeOf(typeof code === 'string' ? code : undefined);
}

export interface SocketAddress {
  family: IpAddressFamily;
  ip: string;
  port: number;
}

export function fromWit(address: IpSocketAddress): SocketAddress {
  if (address.tag === 'ipv4') {
    return { family: 'ipv4', ip: address.val.address.join('.'), port: address.val.port };
  }
  const groups = address.val.address.map((g) => g.toString(16));
  return { family: 'ipv6', ip: compressV6(groups), port: address.val.port };
}

function compressV6(groups: string[]): string {
  // The longest run of zero groups (two or more) becomes `::`.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

function v6Groups(ip: string): Ipv6Address {
  let text = ip.split('%')[0] as string;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as Ipv4Address;
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16)) as Ipv6Address;
}

export function ipAddressOf(ip: string): IpAddress {
  if (isIP(ip) === 4) return { tag: 'ipv4', val: ip.split('.').map(Number) as Ipv4Address };
  return { tag: 'ipv6', val: v6Groups(ip) };
}

export function toWit(address: { address: string; port: number; family?: string }): IpSocketAddress {
  if (isIP(address.address) === 4) {
    return {
      tag: 'ipv4',
      val: { port: address.port, address: address.address.split('.').map(Number) as Ipv4Address },
    };
  }
  return {
    tag: 'ipv6',
    val: { port: address.port, flowInfo: 0, address: v6Groups(address.address), scopeId: 0 },
  };
}

function isMulticastOrBroadcast(address: SocketAddress): boolean {
  if (address.family === 'ipv4') {
    const first = Number(address.ip.split('.')[0]);
    return (first >= 224 && first <= 239) || address.ip === '255.255.255.255';
  }
  return /^ff/i.test(address.ip);
}

export function isUnspecified(address: SocketAddress): boolean {
  return address.ip === '0.0.0.0' || address.ip === '::';
}

/** The checks every bind and connect makes first: the socket's family, unicast, not IPv4-mapped. */
export function checkAddress(family: IpAddressFamily, address: SocketAddress): void {
  if (address.family !== family) fail('invalid-argument');
  if (isMulticastOrBroadcast(address)) fail('invalid-argument');
  if (address.family === 'ipv6' && /^::ffff:/i.test(address.ip) && isIP(address.ip) === 6) {
    const groups = v6Groups(address.ip);
    if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) fail('invalid-argument');
  }
}

/** And a remote address may be neither unspecified nor port 0. */
export function checkRemote(family: IpAddressFamily, address: SocketAddress): void {
  checkAddress(family, address);
  if (isUnspecified(address) || address.port === 0) fail('invalid-argument');
}

export function checkFamily(family: unknown): IpAddressFamily {
  if (family !== 'ipv4' && family !== 'ipv6') fail('not-supported');
  return family;
}

export function showAddress(address: SocketAddress): string {
  return address.family === 'ipv6' ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
}

/** A non-zero u64/u32 option value, else `invalid-argument`. */
export function nonZero<T extends number | bigint>(value: T): T {
  if (value === 0 || value === 0n) fail('invalid-argument');
  return value;
}
