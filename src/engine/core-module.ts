/**
 * What every core module goes through before it runs, whichever binder runs it, and where the
 * prepared modules are cached. Kept apart from jco's transpiler so Skiff's binder never loads it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CAPABILITY_SUSPENDING_IMPORTS } from '../capabilities/registry.ts';
import { exportMutableState } from './export-state.ts';
import { makeInterruptible } from './interrupt/instrument.ts';
import { limitTables } from './limit-tables.ts';

/**
 * Bounded tables (limit-tables.ts), internal state exported so instances can be reset
 * (instance-state.ts), and checks that let a deadline stop the module (interrupt/).
 */
export const prepareCoreModule = (bytes: Uint8Array): Uint8Array =>
  makeInterruptible(exportMutableState(limitTables(bytes)));

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return process.env.SKIFF_CACHE_DIR || join(base, 'skiff');
}

/** The host functions a guest waits on: under JSPI it suspends on them while the thread serves others. */
export const SUSPENDING_IMPORTS = [
  // Key-value calls and the like (src/capabilities/): each capability lists its own.
  ...CAPABILITY_SUSPENDING_IMPORTS,
  'wasi:io/poll#poll',
  'wasi:io/poll#[method]pollable.block',
  'wasi:io/streams#[method]input-stream.blocking-read',
  'wasi:io/streams#[method]input-stream.blocking-skip',
  'wasi:io/streams#[method]output-stream.blocking-write-and-flush',
  'wasi:io/streams#[method]output-stream.blocking-flush',
  'wasi:io/streams#[method]output-stream.blocking-write-zeroes-and-flush',
  'wasi:io/streams#[method]output-stream.blocking-splice',
  // File system calls that reach the disk run in libuv's thread pool (src/wasi/filesystem/).
  // get-flags, get-type, advise, is-same-object and metadata-hash answer from the open descriptor,
  // and the *-via-stream calls only make a stream, so they stay synchronous.
  'wasi:filesystem/types#[method]descriptor.read',
  'wasi:filesystem/types#[method]descriptor.write',
  'wasi:filesystem/types#[method]descriptor.sync',
  'wasi:filesystem/types#[method]descriptor.sync-data',
  'wasi:filesystem/types#[method]descriptor.set-size',
  'wasi:filesystem/types#[method]descriptor.set-times',
  'wasi:filesystem/types#[method]descriptor.stat',
  'wasi:filesystem/types#[method]descriptor.read-directory',
  'wasi:filesystem/types#[method]directory-entry-stream.read-directory-entry',
  'wasi:filesystem/types#[method]descriptor.open-at',
  'wasi:filesystem/types#[method]descriptor.stat-at',
  'wasi:filesystem/types#[method]descriptor.set-times-at',
  'wasi:filesystem/types#[method]descriptor.link-at',
  'wasi:filesystem/types#[method]descriptor.readlink-at',
  'wasi:filesystem/types#[method]descriptor.create-directory-at',
  'wasi:filesystem/types#[method]descriptor.remove-directory-at',
  'wasi:filesystem/types#[method]descriptor.rename-at',
  'wasi:filesystem/types#[method]descriptor.symlink-at',
  'wasi:filesystem/types#[method]descriptor.unlink-file-at',
  'wasi:filesystem/types#[method]descriptor.metadata-hash-at',
];
