/**
 * The buckets host frames are grouped into, so that a guest's flame graph shows the guest and, in a
 * few named blocks, what the host did around it. A run of host frames becomes one bucket: the one
 * its innermost frame of Skiff's own code says (the deepest Skiff function knows best what the
 * host was doing for the guest), else what its innermost frame is (Node, the garbage collector…).
 */
import type { Runtime } from 'node:inspector';

export const HOST_BUCKET = {
  canonicalAbi: 'host: canonical ABI',
  timeSlicing: 'host: time slicing',
  instances: 'host: instances',
  wasiHttp: 'host: wasi:http',
  wasiIo: 'host: wasi:io',
  wasiFilesystem: 'host: wasi:filesystem',
  wasiP3: 'host: WASI 0.3',
  wasi: 'host: WASI',
  keyValue: 'host: key-value',
  outboundHttp: 'host: outbound HTTP',
  capabilities: 'host: capabilities',
  requests: 'host: request handling',
  telemetry: 'host: telemetry',
  skiff: 'host: Skiff',
  otherWasm: 'host: other wasm',
  node: 'host: node',
  otherJs: 'host: other JavaScript',
  program: 'host: (program)',
  idle: 'host: (idle)',
  garbageCollector: '(garbage collector)',
} as const;

/** Skiff's source folder: `src/` when run from source, `dist/` when built (same layout). */
const SKIFF_ROOT = new URL('../../', import.meta.url).href;

/** Areas of Skiff's source, most specific first. */
const SKIFF_AREAS: ReadonlyArray<readonly [prefix: string, bucket: string]> = [
  ['engine/binding/', HOST_BUCKET.canonicalAbi],
  ['engine/interrupt/', HOST_BUCKET.timeSlicing],
  ['engine/', HOST_BUCKET.instances],
  ['wasi/http/', HOST_BUCKET.wasiHttp],
  ['wasi/io/', HOST_BUCKET.wasiIo],
  ['wasi/filesystem/', HOST_BUCKET.wasiFilesystem],
  ['wasi/p3/', HOST_BUCKET.wasiP3],
  ['wasi/', HOST_BUCKET.wasi],
  ['capabilities/key-value/', HOST_BUCKET.keyValue],
  ['capabilities/outbound-http/', HOST_BUCKET.outboundHttp],
  ['capabilities/', HOST_BUCKET.capabilities],
  ['triggers/', HOST_BUCKET.requests],
  ['embed/', HOST_BUCKET.requests],
  ['observability/', HOST_BUCKET.telemetry],
  ['admin/', HOST_BUCKET.telemetry],
];

/** V8's stubs between JavaScript and wasm (`js-to-wasm:i:i`, `wasm-to-js:…`, …). */
const WASM_WRAPPER = /^(?:js-to-wasm|wasm-to-js|c-wasm-entry|wasm-to-capi|wasm-to-wasm)/;

export function isWasmWrapper(frame: Runtime.CallFrame): boolean {
  return WASM_WRAPPER.test(frame.functionName);
}

/**
 * The bucket a host frame decides for its run, if it decides: Skiff's code by area, V8's stubs at
 * the wasm boundary, and wasm that belongs to no loaded component.
 */
export function decidingBucket(frame: Runtime.CallFrame): string | undefined {
  if (frame.url.startsWith(SKIFF_ROOT)) {
    const path = frame.url.slice(SKIFF_ROOT.length);
    return SKIFF_AREAS.find(([prefix]) => path.startsWith(prefix))?.[1] ?? HOST_BUCKET.skiff;
  }
  // The stubs have no script (`wasm-to-js`) or their module's (`js-to-wasm:ii:`).
  if (isWasmWrapper(frame)) return HOST_BUCKET.canonicalAbi;
  if (frame.url.startsWith('wasm://')) return HOST_BUCKET.otherWasm;
  return undefined;
}

/** The bucket of a run no frame of which decides: what its innermost frame is. */
export function fallbackBucket(frame: Runtime.CallFrame): string {
  switch (frame.functionName) {
    case '(garbage collector)':
      return HOST_BUCKET.garbageCollector;
    case '(program)':
      return HOST_BUCKET.program;
    case '(idle)':
      return HOST_BUCKET.idle;
  }
  if (frame.url.startsWith('node:') || frame.url === '') return HOST_BUCKET.node;
  return HOST_BUCKET.otherJs;
}
