import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeComponent } from './parse/index.ts';
import { processedBy } from './producers.ts';

const sectionsOf = (file: string) => decodeComponent(readFileSync(file)).customSections;

test('processed-by names the tools that made the component (componentize-js is recognised by it)', () => {
  assert.ok(
    processedBy(sectionsOf('fixtures/js/hello/hello.wasm')).some((t) => /^ComponentizeJS \d/.test(t)),
  );
  assert.ok(
    processedBy(sectionsOf('fixtures/rust/hello/hello.wasm')).some((t) => /^wit-component \d/.test(t)),
  );
});

test('a malformed producers section yields no tools rather than refusing the component', () => {
  const broken = [{ name: 'producers', data: Uint8Array.of(1, 200), offset: 0 }];
  assert.deepEqual(processedBy(broken), []);
  assert.deepEqual(processedBy([]), []);
});
