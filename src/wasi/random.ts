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
export const insecureSeedImports = {
  insecureSeed: (): [bigint, bigint] => [u64(), u64()],
} satisfies WasiRandomInsecureSeed;
