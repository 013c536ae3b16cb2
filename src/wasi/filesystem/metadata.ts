/** The records, flags and enums of `wasi:filesystem/types` as jco passes them, and stat conversion. */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import type { Datetime } from '../clocks.ts';
import type { DescriptorStat, DescriptorType, MetadataHashValue } from '../shapes/filesystem.ts';

// The types are the WIT's, spelled out once in shapes/.
export type {
  Advice,
  DescriptorFlags,
  DescriptorStat,
  DescriptorType,
  MetadataHashValue,
  OpenFlags,
  PathFlags,
} from '../shapes/filesystem.ts';

interface TypedEntry {
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

export function descriptorTypeOf(entry: TypedEntry): DescriptorType {
  if (entry.isFile()) return 'regular-file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symbolic-link';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice()) return 'character-device';
  if (entry.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function datetime(ns: bigint): Datetime | undefined {
  if (ns < 0n) return undefined;
  return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
}

export function describeStat(stat: BigIntStats): DescriptorStat {
  return {
    type: descriptorTypeOf(stat),
    linkCount: stat.nlink,
    size: stat.size,
    dataAccessTimestamp: datetime(stat.atimeNs),
    dataModificationTimestamp: datetime(stat.mtimeNs),
    statusChangeTimestamp: datetime(stat.ctimeNs),
  };
}

/** What names a file on the host, whatever path leads to it; fixed for as long as an fd is open on it. */
export type FileIdentity = Pick<BigIntStats, 'dev' | 'ino'>;

/** A stable identity per (device, inode) that does not hand the guest raw host inode numbers. */
export function metadataHashOf(stat: FileIdentity): MetadataHashValue {
  const digest = createHash('sha256').update(`${stat.dev}:${stat.ino}`).digest();
  return { lower: digest.readBigUInt64LE(0), upper: digest.readBigUInt64LE(8) };
}
