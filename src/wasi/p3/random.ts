/** `wasi:random@0.3` — as 0.2, with the seed function renamed; all of it from the host CSPRNG. */
import type { WasiRandomInsecureSeed } from '../shapes/random.ts';

export { insecureRandomImports, randomImports } from '../random.ts';

/** The same per-instance seed as 0.2's, under its 0.3 name. */
export const insecureSeedImportsP3 = (seed: WasiRandomInsecureSeed) => ({
  getInsecureSeed: seed.insecureSeed,
});
