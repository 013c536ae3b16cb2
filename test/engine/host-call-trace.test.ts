/**
 * The binder differential at the level of WIT values: the same guest, the same request, once through
 * Skiff's binder and once through jco's glue, with every call into the WASI host recorded — which
 * function, on which resource, with which arguments, and what it returned or threw. The two traces
 * must be identical, call for call; any difference in how a value is lifted or lowered shows up
 * as a differing argument or result, not just as a different HTTP answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BinderName, Component } from '../../src/engine/component.ts';
import { IncomingBody } from '../../src/wasi/http/bodies.ts';
import { Fields } from '../../src/wasi/http/fields.ts';
import { IncomingRequest, ResponseOutparam } from '../../src/wasi/http/messages.ts';
import { instanceImports, prepareGrants } from '../../src/wasi/imports.ts';
import { bytesSource, discardSink, emptySource } from '../../src/wasi/io/node-streams.ts';
import { ResultError } from '../../src/wasi/result-error.ts';
import { TEST_CACHE_DIR } from '../support/skiff-process.ts';

const FIXTURES = [
  'fixtures/c/hello/hello.wasm',
  'fixtures/c/echo/echo.wasm',
  'fixtures/rust/hello/hello.wasm',
  'fixtures/rust/echo/echo.wasm',
  'fixtures/rust/responder/responder.wasm',
  'fixtures/rust/wstd-guest/wstd-guest.wasm',
  'fixtures/js/echo/echo.wasm',
];

/** The calls of the run in progress; undefined between runs. */
let trace: string[] | undefined;
/** Resources are named by their class and order of first appearance in a run. */
let ids = new Map<object, string>();

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `bytes(${Buffer.from(value).toString('hex')})`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  const ctor = (value as object).constructor;
  if (ctor && ctor !== Object) {
    let id = ids.get(value);
    if (!id) {
      id = `${ctor.name}#${ids.size}`;
      ids.set(value, id);
    }
    return id;
  }
  return `{${Object.entries(value)
    .map(([k, v]) => `${k}: ${describe(v)}`)
    .join(', ')}}`;
}

/**
 * Host calls in progress. Only calls the guest makes are recorded, not those the host makes of its
 * own functions meanwhile (`poll` checking its pollables): a suspending call counts until it settles,
 * since the guest cannot run while it waits.
 */
let depth = 0;

function record(name: string, self: unknown, args: unknown[], call: () => unknown): unknown {
  if (!trace || depth > 0) return call();
  depth++;
  try {
    return recordOutermost(name, self, args, call);
  } finally {
    depth--;
  }
}

function recordOutermost(name: string, self: unknown, args: unknown[], call: () => unknown): unknown {
  if (!trace) return call();
  const entry = `${name}(${[self === undefined ? [] : [describe(self)], args.map(describe)].flat().join(', ')})`;
  const log = trace;
  const settle = (outcome: string) => log.push(`${entry} ${outcome}`);
  let result: unknown;
  try {
    result = call();
  } catch (e) {
    settle(`throws ${e instanceof ResultError ? describe(e.payload) : (e as Error).name}`);
    throw e;
  }
  if (result instanceof Promise) {
    depth++;
    return result.then(
      (v) => {
        depth--;
        settle(`resolves ${describe(v)}`);
        return v;
      },
      (e) => {
        depth--;
        settle(`rejects ${(e as Error).name}`);
        return Promise.reject(e);
      },
    );
  }
  settle(`-> ${describe(result)}`);
  return result;
}

const patched = new WeakSet<object>();

/** Wraps every function and class method the host exposes so calls land in `trace`. */
function traceHost(imports: Record<string, object>): Record<string, object> {
  const traced: Record<string, object> = {};
  for (const [iface, members] of Object.entries(imports)) {
    const copy: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(members)) {
      if (typeof member !== 'function') {
        copy[name] = member;
        continue;
      }
      const isClass = /^[A-Z]/.test(name);
      if (isClass && !patched.has(member)) {
        patched.add(member);
        for (const target of [member, member.prototype]) {
          for (const key of Object.getOwnPropertyNames(target)) {
            const descriptor = Object.getOwnPropertyDescriptor(target, key);
            if (key === 'constructor' || typeof descriptor?.value !== 'function') continue;
            const original = descriptor.value as (...a: unknown[]) => unknown;
            const label = `${iface}#${member.name}.${key}`;
            Object.defineProperty(target, key, {
              ...descriptor,
              value: function (this: unknown, ...args: unknown[]) {
                return record(label, target === member ? undefined : this, args, () =>
                  original.apply(this, args),
                );
              },
            });
          }
        }
      }
      copy[name] = isClass
        ? member
        : (...args: unknown[]) => record(`${iface}#${name}`, undefined, args, () => member(...args));
    }
    traced[iface] = copy;
  }
  return traced;
}

async function traceOf(file: string, binder: BinderName, method: string, path: string, body: string) {
  const component = await Component.load(file, { cacheDir: TEST_CACHE_DIR, binder });
  const grants = prepareGrants('trace', {
    environment: { MODE: 'trace' },
    files: [],
    allowedOutboundHosts: [],
  });
  const host = instanceImports(grants, {
    componentId: 'trace',
    args: [],
    stdin: emptySource(),
    stdout: discardSink(),
    stderr: discardSink(),
    log: () => {},
  });
  // Clocks and randomness answer the same on both runs, so only the binders can differ.
  let tick = 0n;
  const deterministic: Record<string, object> = {
    ...host.imports,
    'wasi:clocks/monotonic-clock': {
      ...host.imports['wasi:clocks/monotonic-clock'],
      now: () => (tick += 1000n),
    },
    'wasi:clocks/wall-clock': {
      now: () => ({ seconds: 1_800_000_000n, nanoseconds: 5 }),
      resolution: () => ({ seconds: 0n, nanoseconds: 1 }),
    },
    'wasi:random/random': {
      getRandomBytes: (n: bigint) => new Uint8Array(Number(n)).fill(7),
      getRandomU64: () => 7n,
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (n: bigint) => new Uint8Array(Number(n)).fill(9),
      getInsecureRandomU64: () => 9n,
    },
    'wasi:random/insecure-seed': { insecureSeed: () => [1n, 2n] },
  };
  const instance = await component.instantiate(traceHost(deterministic));
  const encoder = new TextEncoder();
  const request = new IncomingRequest({
    method,
    pathWithQuery: path,
    scheme: { tag: 'HTTP' },
    authority: 'trace',
    headers: Fields.frozen([
      ['content-type', encoder.encode('text/plain')],
      ['x-trace', encoder.encode('1')],
    ]),
    body: new IncomingBody(body ? bytesSource(encoder.encode(body)) : emptySource()),
  });
  const outparam = new ResponseOutparam((r) => {
    if (r.tag === 'ok' && r.val.bodyTaken)
      r.val.outgoingBody.attach({
        sink: { capacity: () => 65536, write: () => {}, whenWritable: () => Promise.resolve() },
        finish: () => {},
        abort: () => {},
      });
  });
  trace = [];
  ids = new Map();
  describe(request);
  describe(outparam);
  try {
    await instance.exports[component.requireEntry('http')].handle(request, outparam);
    return trace;
  } finally {
    trace = undefined;
    host.dispose();
  }
}

for (const file of FIXTURES) {
  test(`${file}: every host call, its arguments and results are the same through Skiff's binder and jco's glue`, async () => {
    for (const [method, path, body] of [
      ['GET', '/', ''],
      ['POST', '/echo?x=1', 'some body'],
      ['GET', '/respond?status=201&h=x-a:1&body=hi', ''],
      ['GET', '/stream', ''],
    ] as const) {
      const jco = await traceOf(file, 'jco', method, path, body);
      const skiff = await traceOf(file, 'skiff', method, path, body);
      assert.ok(jco.length > 3, `${method} ${path}: the guest made host calls (${jco.length})`);
      assert.deepEqual(skiff, jco, `${method} ${path}`);
    }
  });
}
