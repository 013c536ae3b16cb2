/**
 * Guest CPU profiles (src/observability/profile): real guests, loaded in-process with the embedding
 * API and kept busy while V8 samples the thread. Their frames must carry the guests' own function
 * names from the Wasm name section (demangled for Rust), the host's frames must be folded into the
 * named buckets, and the outputs (folded stacks, flame graph page, .cpuprofile) must hold them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadApp, type SkiffApp } from '../../src/embed/index.ts';
import {
  cpuProfileJson,
  flameGraphHtml,
  foldedStacks,
  type GuestProfile,
  HOST_BUCKET,
  loadDemangler,
  loadedComponents,
  mergeProfiles,
  ProfileError,
  profileGuests,
} from '../../src/observability/profile/index.ts';
import type { HostLog } from '../../src/triggers/http/log.ts';
import { TEST_CACHE_DIR } from '../support/skiff-process.ts';

const silent: HostLog = { info() {}, warn() {}, error() {}, guest() {}, trap() {} };
const HOSTILE = 'fixtures/rust/hostile/hostile.wasm';
const ECHO = 'fixtures/c/echo/echo.wasm';

/** Sends `path` (with `init`) to `app` one request after another until stopped. */
function keepBusy(app: SkiffApp, path: string, init?: RequestInit): () => Promise<number> {
  let running = true;
  let answered = 0;
  const load = (async () => {
    while (running) {
      const response = await app.fetch(path, init);
      assert.equal(response.status, 200, await response.clone().text());
      await response.arrayBuffer();
      answered++;
    }
  })();
  return async () => {
    running = false;
    await load;
    return answered;
  };
}

const names = (profile: GuestProfile, stack: GuestProfile['stacks'][number]) =>
  stack.frames.map((i) => profile.frames[i]?.name);
const guestSamples = (profile: GuestProfile, predicate: (name: string | undefined) => boolean = () => true) =>
  profile.stacks
    .filter((s) =>
      s.frames.some((i) => profile.frames[i]?.kind === 'guest' && predicate(profile.frames[i]?.name)),
    )
    .reduce((sum, s) => sum + s.samples, 0);

let hostile: SkiffApp;
let echo: SkiffApp;
/** One second of hostile computing fib(25) over and over, narrowed to hostile; and the same unnarrowed. */
let fibProfile: GuestProfile;
let wholeProfile: GuestProfile;

before(async () => {
  hostile = await loadApp(HOSTILE, { cacheDir: TEST_CACHE_DIR, log: silent });
  echo = await loadApp(ECHO, { cacheDir: TEST_CACHE_DIR, log: silent });
  const stop = keepBusy(hostile, '/fib?n=25');
  fibProfile = await profileGuests({ durationMs: 1000, component: 'hostile' });
  wholeProfile = await profileGuests({ durationMs: 500 });
  assert.ok((await stop()) > 0);
});

after(async () => {
  await hostile?.close();
  await echo?.close();
});

test("a Rust guest's frames are its demangled functions, and most of its samples are in fib", () => {
  const fib = fibProfile.frames.find((f) => f.kind === 'guest' && f.name === 'hostile::fib');
  assert.ok(fib, `no hostile::fib frame among ${fibProfile.frames.map((f) => f.name).join(', ')}`);
  assert.equal(fib.component, 'hostile');
  assert.match(
    fib.symbol ?? '',
    /^_ZN7hostile3fib17h[0-9a-f]{16}E$/,
    'the name-section symbol is kept beside',
  );
  const all = guestSamples(fibProfile);
  const underFib = guestSamples(fibProfile, (name) => name === 'hostile::fib');
  assert.ok(all >= 100, `only ${all} guest samples in a second of fib`);
  assert.ok(underFib / all > 0.8, `${underFib} of ${all} guest samples under hostile::fib`);
  assert.equal(fibProfile.component, 'hostile');
  assert.deepEqual(fibProfile.components, ['hostile']);
  assert.ok(fibProfile.samples <= fibProfile.totalSamples);
  assert.equal(
    fibProfile.stacks.reduce((sum, s) => sum + s.samples, 0),
    fibProfile.samples,
    'every kept sample is in one stack',
  );
});

test('a component narrows the stacks to those that pass through it, under a frame naming it', () => {
  for (const stack of fibProfile.stacks) {
    const frames = stack.frames.map((i) => fibProfile.frames[i]);
    const firstGuest = frames.findIndex((f) => f?.kind === 'guest');
    assert.ok(
      firstGuest > 0,
      `a stack without hostile's frames was kept: ${names(fibProfile, stack).join(';')}`,
    );
    assert.deepEqual(frames[firstGuest - 1], { kind: 'component', name: 'hostile', component: 'hostile' });
  }
  // Unnarrowed, the host's own stacks (request handling, resets) are there too.
  assert.ok(wholeProfile.samples > guestSamples(wholeProfile));
});

test('host frames are folded into the named buckets, one per run', () => {
  const buckets = new Set<string>(Object.values(HOST_BUCKET));
  const host = wholeProfile.frames.filter((f) => f.kind === 'host');
  assert.ok(host.length > 0);
  for (const frame of host) assert.ok(buckets.has(frame.name), `host frame not bucketed: ${frame.name}`);
  // Skiff's request path (routing, instance reset) is in the buckets, not as JS functions.
  assert.ok(host.some((f) => f.name === HOST_BUCKET.requests || f.name === HOST_BUCKET.instances));
  for (const stack of wholeProfile.stacks) {
    const kinds = stack.frames.map((i) => wholeProfile.frames[i]?.kind);
    for (let i = 1; i < kinds.length; i++)
      assert.ok(
        kinds[i] !== 'host' || kinds[i - 1] !== 'host',
        `two host frames in a row: ${names(wholeProfile, stack)}`,
      );
  }
  for (const frame of wholeProfile.frames)
    assert.doesNotMatch(frame.name, /file:|node:internal|\.ts\b/, `a raw host frame: ${frame.name}`);
});

test('folded stacks: one line per stack, frames outermost first, counts adding up to the samples', () => {
  const lines = foldedStacks(fibProfile).trimEnd().split('\n');
  assert.equal(lines.length, fibProfile.stacks.length);
  let total = 0;
  for (const line of lines) {
    const match = /^([^;\n]+(?:;[^;\n]+)*) (\d+)$/.exec(line);
    assert.ok(match, `not a folded line: ${line}`);
    assert.ok(match[1]?.startsWith('hostile;'), line);
    total += Number(match[2]);
  }
  assert.equal(total, fibProfile.samples);
  assert.ok(
    lines.some((line) => /;hostile::fib;hostile::fib/.test(line)),
    'fib recursing is in the stacks',
  );
  const micros = foldedStacks(fibProfile, { weight: 'microseconds' }).trimEnd().split('\n');
  const time = micros.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  assert.ok(Math.abs(time / 1000 - fibProfile.durationMs) < fibProfile.durationMs, `${time} µs`);
});

/** Checks that every element is closed in order (void and raw-text elements aside). */
function assertWellFormed(html: string): void {
  assert.match(html, /^<!doctype html>\n<html lang="en">/);
  const voids = new Set(['meta', 'input', 'br', 'img', 'link', 'hr']);
  const open: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)([^>]*)>/g;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    const [, closing, rawName, attributes] = m;
    const name = (rawName as string).toLowerCase();
    if (closing) {
      assert.equal(open.pop(), name, `</${name}> closes another element at ${m.index}`);
    } else if (!voids.has(name) && !attributes?.endsWith('/')) {
      open.push(name);
      if (name === 'script' || name === 'style') {
        const end = html.indexOf(`</${name}>`, tag.lastIndex);
        assert.ok(end > 0, `<${name}> never closed`);
        tag.lastIndex = end;
      }
    }
  }
  assert.deepEqual(open, [], 'elements left open');
}

test('the flame graph is one well-formed HTML file with the functions and no external reference', () => {
  const html = flameGraphHtml(fibProfile);
  assertWellFormed(html);
  assert.match(html, /<title>Guest CPU profile: component hostile, \d+\.\d\d s, \d+ samples<\/title>/);
  assert.ok(html.includes('hostile::fib'));
  assert.doesNotMatch(html, /https?:\/\//i, 'a URL in the page');
  assert.doesNotMatch(html, /\b(?:src|href|action)\s*=|url\(|@import/i, 'a reference to another resource');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const data = /<script type="application\/json" id="profile-data">([^<]*)<\/script>/.exec(html);
  assert.ok(data?.[1]);
  assert.deepEqual(JSON.parse(data[1]), { frames: fibProfile.frames, stacks: fibProfile.stacks });
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script);
  assert.doesNotThrow(() => new Function(script), 'the inline script parses');
});

test('names from a guest cannot break out of the page', () => {
  const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)> & "q" \u2028';
  const profile: GuestProfile = {
    component: 'x</title>',
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
    intervalUs: 1000,
    totalSamples: 1,
    samples: 1,
    components: ['x</title>'],
    frames: [{ kind: 'guest', name: evil, component: 'x</title>' }],
    stacks: [{ frames: [0], samples: 1, timeUs: 1000 }],
  };
  const html = flameGraphHtml(profile);
  assertWellFormed(html);
  assert.ok(!html.includes('<img'), 'markup from a name reached the page');
  assert.equal(html.split('<script').length - 1, 2, 'only the page’s own two scripts');
  const data = /id="profile-data">([^<]*)<\/script>/.exec(html)?.[1] ?? '';
  assert.equal(JSON.parse(data).frames[0].name, evil, 'the name itself survives, escaped');
});

test("a C guest's frames carry its C function names from the name section", async () => {
  const body = 'x'.repeat(256 * 1024);
  const stop = keepBusy(echo, '/echo', { method: 'POST', body });
  const profile = await profileGuests({ durationMs: 1000, component: 'echo', intervalUs: 100 });
  assert.ok((await stop()) > 0);
  const loaded = loadedComponents().find((c) => c.id === 'echo');
  assert.ok(loaded);
  const known = new Set(loaded.modules.flatMap((m) => [...m.names().values()]));
  assert.ok(
    known.has('__wasm_export_exports_wasi_http_incoming_handler_handle'),
    'the name section was read',
  );
  const guest = profile.frames.filter((f) => f.kind === 'guest');
  assert.ok(guest.length > 0, 'no guest frame sampled');
  for (const frame of guest) {
    assert.equal(frame.component, 'echo');
    assert.equal(frame.symbol, undefined, `C names are not demangled: ${frame.name}`);
    assert.ok(
      known.has(frame.name) || /^wasm-function\[\d+\]$/.test(frame.name),
      `not a name-section name: ${frame.name}`,
    );
  }
  const named = guest.filter((f) => known.has(f.name)).map((f) => f.name);
  assert.ok(named.length > 0, 'no guest frame named');
  // The guest's request path runs through its exported handler.
  assert.ok(
    named.includes('__wasm_export_exports_wasi_http_incoming_handler_handle') ||
      named.includes('cabi_realloc'),
    named.join(', '),
  );
});

test('the demangler turns the fixtures’ Rust symbols (legacy and v0) and Itanium C++ into source names', async () => {
  const demangle = await loadDemangler();
  const symbols = [
    ...(loadedComponents()
      .find((c) => c.id === 'hostile')
      ?.modules[0]?.names()
      .values() ?? []),
  ];
  const find = (pattern: RegExp) => {
    const symbol = symbols.find((s) => pattern.test(s));
    assert.ok(symbol, `no symbol like ${pattern} in hostile's name section`);
    return symbol;
  };
  const cases: Array<[string, string]> = [
    // Rust legacy mangling (the crate's own code), hash left out.
    [find(/^_ZN7hostile3fib17h[0-9a-f]{16}E$/), 'hostile::fib'],
    [find(/^_ZN7hostile11query_param17h[0-9a-f]{16}E$/), 'hostile::query_param'],
    [
      find(
        /^_ZN\d+_\$LT\$hostile\.\.wasi\.\.http\.\.types\.\.FieldSizePayload\$u20\$as\$u20\$core\.\.fmt\.\.Debug\$GT\$3fmt17h/,
      ),
      '<hostile::wasi::http::types::FieldSizePayload as core::fmt::Debug>::fmt',
    ],
    // Rust v0 mangling (the precompiled standard library), crate disambiguators left out.
    [find(/^_RNvNtCs\w+_5alloc3fmt6format$/), 'alloc::fmt::format'],
    [
      find(/^_RNvXs\w*_NtNtCs\w+_3std2io5errorNtB\w+_9ErrorKindNtNtCs\w+_4core3fmt5Debug3fmt$/),
      '<std::io::error::ErrorKind as core::fmt::Debug>::fmt',
    ],
    // Itanium C++, as clang++ --target=wasm32 names them (no C++ fixture yet).
    ['_ZN5skiff4demo7Counter3addEi', 'skiff::demo::Counter::add(int)'],
    ['_ZN5skiff4demo7Counter4makeEPKcm', 'skiff::demo::Counter::make(char const*, unsigned long)'],
    ['_ZN5skiff4demo5twiceIdEET_S2_', 'skiff::demo::twice<double>(double)'],
    ['_Z3fibi', 'fib(int)'],
    // Not mangled: left alone, leading underscores included.
    [
      '__wasm_export_exports_wasi_http_incoming_handler_handle',
      '__wasm_export_exports_wasi_http_incoming_handler_handle',
    ],
    ['_Reserved', '_Reserved'],
    ['dlmalloc', 'dlmalloc'],
    ['wasm-function[12]', 'wasm-function[12]'],
  ];
  for (const [symbol, plain] of cases) assert.equal(demangle(symbol), plain, symbol);
});

test('the .cpuprofile is V8’s own profile with guest names demangled', () => {
  const profile = JSON.parse(cpuProfileJson(fibProfile));
  assert.equal(profile.samples.length, fibProfile.totalSamples);
  const functions = new Set(
    profile.nodes.map((n: { callFrame: { functionName: string } }) => n.callFrame.functionName),
  );
  assert.ok(functions.has('hostile::fib'));
  assert.ok(![...functions].some((name) => /^_ZN7hostile3fib/.test(String(name))));
});

test('profiles of several workers merge: same stacks add up', () => {
  const merged = mergeProfiles([fibProfile, fibProfile]);
  assert.equal(merged.samples, 2 * fibProfile.samples);
  assert.equal(merged.stacks.length, fibProfile.stacks.length);
  assert.equal(merged.cpuProfile, undefined);
  assert.equal(foldedStacks(merged).split('\n').length, foldedStacks(fibProfile).split('\n').length);
});

test('bad requests are refused with what to do: unknown component, profile running, bad option', async () => {
  await assert.rejects(profileGuests({ durationMs: 100, component: 'nope' }), (e: unknown) => {
    assert.ok(e instanceof ProfileError);
    assert.equal(e.code, 'unknown-component');
    assert.match(e.message, /no component "nope" is loaded in this process; loaded: echo, hostile/);
    return true;
  });
  const running = profileGuests({ durationMs: 300 });
  await assert.rejects(profileGuests({ durationMs: 100 }), (e: unknown) => {
    assert.ok(e instanceof ProfileError);
    assert.equal(e.code, 'busy');
    assert.match(e.message, /already being taken/);
    return true;
  });
  await running;
  for (const options of [{ durationMs: 0 }, { durationMs: 100, intervalUs: 10 }, { durationMs: Number.NaN }])
    await assert.rejects(
      profileGuests(options),
      (e: unknown) => e instanceof ProfileError && e.code === 'bad-option',
    );
  // An abort ends the profile early with the signal's reason, and frees the profiler.
  const controller = new AbortController();
  const aborted = profileGuests({ durationMs: 10_000, signal: controller.signal });
  setTimeout(() => controller.abort(new Error('client went away')), 50);
  await assert.rejects(aborted, /client went away/);
  assert.ok((await profileGuests({ durationMs: 10 })).totalSamples >= 0);
});
