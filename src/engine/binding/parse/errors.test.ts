/**
 * Bad input is refused with a ComponentParseError that says what is wrong, in which section, at
 * which byte, and what to do — and nothing else ever escapes: every truncation and thousands of
 * corrupted bytes of real components end in a ComponentParseError or a clean parse, never a
 * TypeError or a guess.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { ComponentParseError, decodeComponent, parseComponent } from './index.ts';
import { REPO } from './test-corpus.ts';

const leb = (value: number): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    out.push((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v !== 0);
  return out;
};
const str = (s: string) => {
  const bytes = [...new TextEncoder().encode(s)];
  return [...leb(bytes.length), ...bytes];
};
const PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const section = (id: number, payload: number[]) => [id, ...leb(payload.length), ...payload];
const componentOf = (...sections: number[][]) => Uint8Array.from([...PREAMBLE, ...sections.flat()]);

function refused(
  bytes: Uint8Array,
  expected: { problem: RegExp; section?: string; offset?: number },
): ComponentParseError {
  let error: unknown;
  try {
    parseComponent(bytes);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ComponentParseError, `a ComponentParseError, got ${String(error)}`);
  assert.match(error.problem, expected.problem);
  if (expected.section !== undefined) assert.equal(error.section, expected.section);
  if (expected.offset !== undefined) assert.equal(error.offset, expected.offset);
  assert.match(error.message, /at byte \d+ \(0x[0-9a-f]+\)/, 'the message says where');
  assert.match(error.message, /\n {2}hint: \S/, 'and what to do');
  return error;
}

test('a truncated component: unexpected end, in the section being read', () => {
  const bytes = readFileSync(join(REPO, 'fixtures/rust/hello/hello.wasm'));
  const error = refused(bytes.subarray(0, Math.floor(bytes.length * 0.6)), { problem: /^unexpected end of/ });
  assert.ok(error.section, 'names the section');
  assert.match(error.message, /in the [a-z ]+ section/);
});

test('a section id past 12 is named, not skipped', () => {
  refused(componentOf(section(13, [])), {
    problem: /unknown section id 13/,
    section: 'section header',
    offset: 8,
  });
});

test('an unknown canon opcode is named with its section and offset', async () => {
  const bytes = await parse(`(component
    (type $r (resource (rep i32)))
    (core func (canon resource.drop $r))
    (core func (canon waitable-set.new)))`);
  const canon = decodeComponent(bytes).definitions.filter((d) => d.kind === 'canon')[1];
  assert.ok(canon);
  const patched = Uint8Array.from(bytes);
  patched[canon.offset] = 0x5f;
  refused(patched, {
    problem: /unknown canonical function opcode 0x5f/,
    section: 'canon',
    offset: canon.offset,
  });
});

test('a type index out of range, inside a type definition', () => {
  // (type (list 5)) with no type 5
  refused(componentOf(section(7, [1, 0x70, 5])), {
    problem: /type index 5 is out of range \(0 types defined\)/,
    section: 'type',
    offset: 11,
  });
});

test('an index out of range in a definition: the export and the space are named', () => {
  // (export "run" (func 0)) with no func
  refused(componentOf(section(11, [1, 0x00, ...str('run'), 0x01, 0, 0x00])), {
    problem: /export `run` refers to func 0, but only 0 func are defined so far/,
    section: 'export',
    offset: 11,
  });
});

test('an out-of-range index in an instance type names the WIT export it is in', () => {
  // (type (instance (export "f" (func (type 3)))))
  const error = refused(componentOf(section(7, [1, 0x42, 1, 0x04, 0x00, ...str('f'), 0x01, 3])), {
    problem: /type index 3 is out of range/,
    section: 'type',
  });
  assert.equal(error.witName, 'f');
});

test('a core module is not a component, and says how it becomes one', () => {
  const error = refused(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00), {
    problem: /core WebAssembly module, not a component/,
    offset: 6,
  });
  assert.match(error.hint, /preview1/);
});

test('another component binary version is refused with both versions', () => {
  refused(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00), {
    problem: /version 0x0c; Skiff reads version 0x0d/,
  });
});

test('a section size past the end of the file', () => {
  refused(componentOf([7, 0x7f, 1]), { problem: /unexpected end of the type section/, offset: 10 });
});

test('bytes left over at the end of a section', () => {
  refused(componentOf(section(7, [1, 0x7f, 0x00])), {
    problem: /1 bytes left over/,
    section: 'type',
    offset: 12,
  });
});

test('a name that is not UTF-8', () => {
  refused(componentOf(section(10, [1, 0x00, 1, 0xff, 0x01, 0])), {
    problem: /not valid UTF-8/,
    section: 'import',
    offset: 13,
  });
});

test('a map type is refused as not supported yet, not misread', () => {
  refused(componentOf(section(7, [1, 0x63, 0x73, 0x79])), { problem: /map types/, section: 'type' });
});

test('a resource defined inside an instance type is invalid', () => {
  refused(componentOf(section(7, [1, 0x42, 1, 0x01, 0x3f, 0x7f, 0x00])), {
    problem: /resource type defined inside/,
  });
});

test('a malformed component-name section is ignored, as the spec asks, not refused', () => {
  const { component } = parseComponent(componentOf(section(0, [...str('component-name'), 0x01, 0x05, 0xff])));
  assert.equal(component.names, undefined);
  assert.equal(component.customSections[0]?.name, 'component-name');
});

/** A deterministic PRNG, so a failure reproduces. */
function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function parsesOrRefuses(bytes: Uint8Array, what: string): void {
  try {
    parseComponent(bytes);
  } catch (e) {
    if (!(e instanceof ComponentParseError)) {
      assert.fail(`${what}: ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
}

/** Where the outermost component's sections end: a cut there leaves a shorter, well-formed component. */
function sectionEnds(bytes: Uint8Array): Set<number> {
  const ends = new Set<number>([8]);
  let at = 8;
  while (at < bytes.length) {
    at++;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++] as number;
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    at += size;
    ends.add(at);
  }
  return ends;
}

test('every truncation of a real component is refused with a ComponentParseError', () => {
  const bytes = readFileSync(join(REPO, 'fixtures/c/echo/echo.wasm'));
  const ends = sectionEnds(bytes);
  for (let length = 0; length < bytes.length; length += length < 4096 ? 1 : 97) {
    let error: unknown;
    try {
      parseComponent(bytes.subarray(0, length));
    } catch (e) {
      error = e;
    }
    if (ends.has(length)) parsesOrRefuses(bytes.subarray(0, length), `cut at ${length}, a section end`);
    else assert.ok(error instanceof ComponentParseError, `cut at ${length}: ${String(error)}`);
  }
});

test('corrupted bytes in the component-level sections never escape as anything but a ComponentParseError', () => {
  const bytes = readFileSync(join(REPO, 'fixtures/rust/hello/hello.wasm'));
  const { component } = parseComponent(bytes);
  // Corrupt only outside the core modules: V8 validates those, the parser does not read them.
  const modules = component.definitions.flatMap((d) =>
    d.kind === 'core module' ? [[d.offset, d.offset + d.bytes.length]] : [],
  );
  const inModule = (at: number) =>
    modules.some(([start, end]) => at >= (start as number) && at < (end as number));
  const random = xorshift(0x5eed);
  for (let round = 0; round < 3000; round++) {
    const corrupted = Uint8Array.from(bytes);
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
      let at = 8 + Math.floor(random() * (bytes.length - 8));
      while (inModule(at)) at = 8 + Math.floor(random() * (bytes.length - 8));
      corrupted[at] = Math.floor(random() * 256);
    }
    parsesOrRefuses(corrupted, `round ${round}`);
  }
});
