/**
 * Addresses a wildcard or a DNS name must never lead a guest to: loopback, private networks,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unspecified, multicast.
 * A guest reaches one only when the grant names that very address (or `localhost` for loopback).
 */
import { isIP } from 'node:net';

const V4_RANGES: Array<[number, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3],
].map(([base, bits]) => [v4ToInt(base as string), bits as number]);

function v4ToInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function isSpecialV4(address: string): boolean {
  const n = v4ToInt(address);
  return V4_RANGES.some(
    ([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)),
  );
}

function isSpecialV6(address: string): boolean {
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return isSpecialV4(mapped[1] as string);
  if (a === '::' || a === '::1') return true;
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
  return /^f[cd]/.test(a) || /^fe[89ab]/.test(a) || a.startsWith('ff');
}

export function isSpecialAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isSpecialV4(address);
  if (family === 6) return isSpecialV6(address);
  return false;
}

export function isLoopback(address: string): boolean {
  return (
    (isIP(address) === 4 && address.startsWith('127.')) || address === '::1' || /^::ffff:127\./i.test(address)
  );
}
