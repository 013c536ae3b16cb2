/**
 * What the compiler checks against the shapes, checked against real components: every function a
 * fixture imports from an interface Skiff implements resolves, through the binder's own lookup
 * (`hostBinding`), to a host function — never to the trapping fallback an ungranted interface gets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostBinding, hostInterfaceKey } from '../../engine/binding/link/host-functions.ts';
import { functionsOf, parseComponent } from '../../engine/binding/parse/index.ts';
import { fixtureCorpus } from '../../engine/binding/parse/test-corpus.ts';
import { instanceImports, prepareGrants } from '../imports.ts';
import type { WasiInterfaceName } from './index.ts';

/** Every interface of WasiHost, spelled out so a shape added without a host (or the reverse) fails. */
const IMPLEMENTED = {
  'wasi:cli/environment': true,
  'wasi:cli/exit': true,
  'wasi:cli/stdin': true,
  'wasi:cli/stdout': true,
  'wasi:cli/stderr': true,
  'wasi:cli/terminal-input': true,
  'wasi:cli/terminal-output': true,
  'wasi:cli/terminal-stdin': true,
  'wasi:cli/terminal-stdout': true,
  'wasi:cli/terminal-stderr': true,
  'wasi:clocks/monotonic-clock': true,
  'wasi:clocks/wall-clock': true,
  'wasi:filesystem/types': true,
  'wasi:filesystem/preopens': true,
  'wasi:http/types': true,
  'wasi:http/outgoing-handler': true,
  'wasi:io/error': true,
  'wasi:io/poll': true,
  'wasi:io/streams': true,
  'wasi:random/random': true,
  'wasi:random/insecure': true,
  'wasi:random/insecure-seed': true,
  'wasi:cli/environment@0.3': true,
  'wasi:cli/exit@0.3': true,
  'wasi:cli/stdin@0.3': true,
  'wasi:cli/stdout@0.3': true,
  'wasi:cli/stderr@0.3': true,
  'wasi:cli/terminal-input@0.3': true,
  'wasi:cli/terminal-output@0.3': true,
  'wasi:cli/terminal-stdin@0.3': true,
  'wasi:cli/terminal-stdout@0.3': true,
  'wasi:cli/terminal-stderr@0.3': true,
  'wasi:clocks/monotonic-clock@0.3': true,
  'wasi:clocks/system-clock@0.3': true,
  'wasi:filesystem/types@0.3': true,
  'wasi:filesystem/preopens@0.3': true,
  'wasi:http/types@0.3': true,
  'wasi:http/client@0.3': true,
  'wasi:random/random@0.3': true,
  'wasi:random/insecure@0.3': true,
  'wasi:random/insecure-seed@0.3': true,
  'wasi:sockets/types@0.3': true,
  'wasi:sockets/ip-name-lookup@0.3': true,
} satisfies Record<WasiInterfaceName, true>;

const isImplemented = (name: string): name is WasiInterfaceName => Object.hasOwn(IMPLEMENTED, name);

function hostImports(): Record<string, object> {
  const grants = prepareGrants('shapes-test', { environment: {}, files: [], allowedOutboundHosts: [] });
  const source = { read: () => 'eof' as const, isReadable: () => true, whenReadable: async () => {} };
  const sink = { capacity: () => 1024, write: () => {}, whenWritable: async () => {} };
  const io = {
    componentId: 'shapes-test',
    args: [],
    stdin: source,
    stdout: sink,
    stderr: sink,
    log: () => {},
  };
  return instanceImports(grants, io).imports;
}

test('the host has exactly the interfaces WasiHost names', () => {
  assert.deepEqual(Object.keys(hostImports()).sort(), Object.keys(IMPLEMENTED).sort());
});

/** Undefined when the host provides `func` of `interfaceName`, else what is missing. */
function missing(host: Record<string, object>, interfaceName: string, func: string): string | undefined {
  const binding = hostBinding(interfaceName, func);
  const found = binding.callee(host);
  const fallback = binding.callee({});
  switch (binding.call.kind) {
    case 'function':
    case 'constructor':
      return found !== fallback && typeof found === 'function' ? undefined : 'no host function';
    case 'static': {
      const name = binding.call.name;
      const own = (found as Record<string, unknown>)[name];
      return typeof own === 'function' && own !== (fallback as Record<string, unknown>)[name]
        ? undefined
        : `no static ${name}`;
    }
    case 'method': {
      // A method is looked up on the resource object, so check its class's prototype.
      const resource = /^\[method\]([^.]+)\./.exec(func)?.[1] ?? '';
      const ofClass = hostBinding(interfaceName, `[constructor]${resource}`);
      const cls = ofClass.callee(host);
      if (cls === ofClass.callee({})) return `no class for ${resource}`;
      const method = (cls as { prototype: Record<string, unknown> }).prototype[binding.call.name];
      return typeof method === 'function' ? undefined : `no method ${binding.call.name}`;
    }
  }
}

test('every imported function of an implemented interface has a host member under its jco name', async () => {
  const host = hostImports();
  const gaps: string[] = [];
  const seen = new Set<string>();
  for (const entry of fixtureCorpus()) {
    const { world } = parseComponent(await entry.load());
    for (const { name, item } of world.imports) {
      if (item.kind !== 'instance' || !isImplemented(hostInterfaceKey(name))) continue;
      for (const { name: func } of functionsOf(item.shape)) {
        seen.add(`${hostInterfaceKey(name)}#${func}`);
        const gap = missing(host, name, func);
        if (gap) gaps.push(`${entry.name}: ${name}#${func}: ${gap}`);
      }
    }
  }
  assert.deepEqual(gaps, []);
  // The fixtures reach every implemented package, so the check above is not vacuous.
  for (const pkg of ['cli', 'clocks', 'filesystem', 'http', 'io', 'random'])
    assert.ok(
      [...seen].some((f) => f.startsWith(`wasi:${pkg}/`)),
      `no fixture imports wasi:${pkg}`,
    );
});
