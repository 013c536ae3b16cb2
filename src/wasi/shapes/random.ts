/** Host shapes of `wasi:random@0.2.x` (wit/deps/random). */

/** `wasi:random/random`. */
export interface WasiRandomRandom {
  getRandomBytes(len: bigint): Uint8Array;
  getRandomU64(): bigint;
}

/** `wasi:random/insecure`. */
export interface WasiRandomInsecure {
  getInsecureRandomBytes(len: bigint): Uint8Array;
  getInsecureRandomU64(): bigint;
}

/** `wasi:random/insecure-seed`. */
export interface WasiRandomInsecureSeed {
  insecureSeed(): [bigint, bigint];
}
