/** `wasi:random` — allowed to every guest; all three interfaces draw from the host CSPRNG. */
import { randomBytes } from 'node:crypto';
import type { WasiRandomInsecure, WasiRandomInsecureSeed, WasiRandomRandom } from './shapes/random.ts';

/**
 * The most one get-random-bytes call returns; a larger len traps, as in wasmtime (`max_random_size`).
 * The bytes are made on the event loop (about 13 ms for 16 MiB), and a guest could otherwise ask for
 * up to 2 GiB in one call: seconds of a stalled thread and the memory, before its own realloc fails.
 */
export const MAX_RANDOM_BYTES = 16 << 20;

function bytes(len: bigint): Uint8Array {
  if (len > BigInt(MAX_RANDOM_BYTES))
    throw new RangeError(
      `get-random-bytes of ${len} bytes: more than the ${MAX_RANDOM_BYTES} one call may ask for`,
    );
  return new Uint8Array(randomBytes(Number(len)));
}
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
