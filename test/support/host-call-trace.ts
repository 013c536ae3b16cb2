/**
 * Records every call a guest makes into the WASI host — which function, on which resource, with
 * which arguments, and what it returned or threw — as one line per call. The binder differentials
 * run the same guest through Skiff's binder and jco's glue and compare the two recordings: a value
 * lifted or lowered differently shows up as a differing argument or result.
 */
import { ResultError } from '../../src/wasi/result-error.ts';

/** The calls of the run in progress; undefined between runs. */
let trace: string[] | undefined;
/** Resources are named by their class and order of first appearance in a run. */
let ids = new Map<object, string>();
/**
 * Host calls in progress. Only calls the guest makes are recorded, not those the host makes of its
 * own functions meanwhile (`poll` checking its pollables): a suspending call counts until it settles,
 * since the guest cannot run while it waits.
 */
let depth = 0;

/** Starts recording host calls into the returned array; resource names start afresh. */
export function startTrace(): string[] {
  trace = [];
  ids = new Map();
  return trace;
}

/** Stops recording: calls made after this (a guest outliving its run) are not counted. */
export function stopTrace(): void {
  trace = undefined;
}

/**
 * A value as the trace shows it. Resources become `Class#n` rather than their contents, since what
 * the host keeps inside them is not part of what the binder passes; everything else is spelled out.
 */
export function describe(value: unknown): string {
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

/** Runs `call` on the guest's behalf, recording it unless it is the host calling itself. */
export function record(name: string, self: unknown, args: unknown[], call: () => unknown): unknown {
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

/**
 * Wraps every function and class method the host exposes so calls land in the trace. Classes are
 * shared by every instance, so their methods are patched once, in place; they record only while a
 * trace is running.
 */
export function traceHost(imports: Record<string, object>): Record<string, object> {
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

/**
 * The host's imports with clocks and randomness that answer the same on every run, so two runs
 * differ only by their binders. Timers still fire in real time: only what the guest reads is fixed.
 */
export function deterministicHost(imports: Record<string, object>): Record<string, object> {
  let tick = 0n;
  return {
    ...imports,
    'wasi:clocks/monotonic-clock': {
      ...imports['wasi:clocks/monotonic-clock'],
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
}
