/**
 * Sizes as the manifest and the CLI write them: a whole number and a binary unit, `"512KiB"`,
 * `"64MiB"`, `"1GiB"`. Deliberately small: no fractions, no signs, no spaces, no decimal units (`MB`).
 */

/** Bytes per unit, smallest first. */
export const SIZE_UNITS = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 } as const;
const SIZE = /^([0-9]+)(B|KiB|MiB|GiB)$/;

/** `"512KiB"` → 524288, `"64MiB"` → 67108864, `"1GiB"` → 1073741824; undefined for anything else. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  const bytes = Number(match[1]) * SIZE_UNITS[match[2] as keyof typeof SIZE_UNITS];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes in the largest unit that holds them exactly, the way parseSize reads them: 65536 → `64KiB`, 1536 → `1536B`. */
export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    if (bytes !== 0 && bytes % SIZE_UNITS[unit] === 0) return `${bytes / SIZE_UNITS[unit]}${unit}`;
  }
  return `${bytes}B`;
}
