/**
 * Skiff's embedding API (`import { loadApp, loadComponent } from 'skiff-wasm'`): WebAssembly
 * components inside a Node app, sandboxed, with the same limits and capabilities as `skiff up`.
 * - `loadApp(from)`: HTTP components (an app or one .wasm) as a `fetch(Request) → Response` handler.
 * - `loadComponent(file)`: any component's typed exports as async functions (plugins).
 */

export { UnprovidedImportError } from '../capabilities/provided.ts';
export { ComponentError } from '../engine/binding/canonical-abi/trap.ts';
export { ComponentLoadError } from '../engine/errors.ts';
export { ManifestError } from '../manifest/errors.ts';
export type { FetchRequestInit } from '../triggers/http/fetch-exchange.ts';
export type { HostLog } from '../triggers/http/log.ts';
export { type AppOptions, loadApp, type SkiffApp } from './app.ts';
export { type CallFailure, ComponentCallError } from './call-errors.ts';
export type { DirGrant, GrantOptions } from './grants.ts';
export type { Lifecycle } from './instances.ts';
export type { Duration, Size } from './limits.ts';
export {
  type ComponentExports,
  type ComponentOptions,
  loadComponent,
  type SkiffComponent,
} from './load-component.ts';
