/**
 * Skiff's embedding API (`import { loadApp } from 'skiff-wasm'`): WebAssembly components inside a
 * Node app, sandboxed, with the same limits and capabilities as `skiff up`.
 */

export { UnprovidedImportError } from '../capabilities/provided.ts';
export { ComponentLoadError } from '../engine/errors.ts';
export { ManifestError } from '../manifest/errors.ts';
export type { FetchRequestInit } from '../triggers/http/fetch-exchange.ts';
export type { HostLog } from '../triggers/http/log.ts';
export { type AppOptions, type DirGrant, loadApp, type SkiffApp } from './app.ts';
export type { Duration, Size } from './limits.ts';
