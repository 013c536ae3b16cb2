/** `wasi:random` — allowed to every guest; all three interfaces draw from the host CSPRNG. */
import { randomBytes } from 'node:crypto';
import type { WasiRandomInsecure, WasiRandomInsecureSeed, WasiRandomRandom } from './shapes/random.ts';

const bytes = (len: bigint): Uint8Array => new Uint8Array(randomBytes(Number(len)));
const u64 = (): bigint => randomBytes(8).readBigUInt64LE();

export const randomImports = { getRandomBytes: bytes, getRandomU64: u64 } satisfies WasiRandomRandom;
export const insecureRandomImports = {
  getInsecureRandomBytes: bytes,
  getInsecureRandomU64: u64,
} satisfies WasiRandomInsecure;
/**
 * One seed per instance, the same on every call: the interface promises a value to seed a hash
 * table's hasher with, and the WASI 0.3 suite checks two calls agree (wasmtime keeps one per store).
 */
export function insecureSeedImports(): WasiRandomInsecureSeed {
  const seed: [bigint, bigint] = [u64(), u64()];
  return { insecureSeed: () => seed };
}
