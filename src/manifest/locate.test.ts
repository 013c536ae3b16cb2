import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { formatKeyPath, LineLocator, parseKeyPath } from './locate.ts';

/** Builds a locator, after checking the text is valid TOML (the locator only ever sees valid TOML). */
function locatorFor(...lines: string[]): LineLocator {
  const text = lines.join('\n');
  parse(text);
  return new LineLocator(text);
}

describe('LineLocator', () => {
  it('finds top-level keys and [table] headers', () => {
    const locator = locatorFor('# comment', 'skiff_manifest_version = 1', '', '[application]', 'name = "x"');
    assert.equal(locator.lineOf('skiff_manifest_version'), 2);
    assert.equal(locator.lineOf('application'), 4);
    assert.equal(locator.lineOf('application.name'), 5);
  });

  it('counts [[array-of-tables]] per array and resolves sub-tables to the latest element', () => {
    const locator = locatorFor(
      '[[trigger.http]]', // 1
      'route = "/a"',
      '[[trigger.http]]', // 3
      'route = "/b"',
      '[[trigger.redis]]', // 5
      '[[trigger.http]]', // 6
      'route = "/c"',
      '[trigger.http.extra]', // 8
      'x = 1',
    );
    assert.equal(locator.lineOf('trigger.http[0]'), 1);
    assert.equal(locator.lineOf('trigger.http[1].route'), 4);
    assert.equal(locator.lineOf('trigger.redis[0]'), 5);
    assert.equal(locator.lineOf('trigger.http[2].route'), 7);
    assert.equal(locator.lineOf('trigger.http[2].extra.x'), 9);
    assert.equal(locator.lineOf('trigger.http'), 1, 'the array itself: its first header');
  });

  it('counts nested arrays of tables separately for each parent element', () => {
    const locator = locatorFor('[[a]]', '[[a.b]]', '[[a.b]]', '[[a]]', '[[a.b]]', 'x = 1');
    assert.equal(locator.lineOf('a[0].b[1]'), 3);
    assert.equal(locator.lineOf('a[1].b[0].x'), 6);
  });

  it('handles dotted keys, quoted keys and whitespace around dots', () => {
    const locator = locatorFor(
      'component.api.source = "a.wasm"', // 1
      '[component."hello.js"]', // 2
      'source = "b.wasm"',
      "[ component . 'raw key' ]", // 4
      '"quoted \\u0041" . sub = 1', // 5
    );
    assert.equal(locator.lineOf('component.api.source'), 1);
    assert.equal(locator.lineOf('component.api'), 1, 'implied by the dotted key');
    assert.equal(locator.lineOf(['component', 'hello.js', 'source']), 3);
    assert.equal(locator.lineOf(['component', 'raw key']), 4);
    assert.equal(locator.lineOf(['component', 'raw key', 'quoted A', 'sub']), 5);
  });

  it('prefers an explicit header over a parent implied earlier', () => {
    const locator = locatorFor('[component.api.build]', 'command = "x"', '[component.api]', 'source = "a"');
    assert.equal(locator.lineOf('component.api'), 3);
    assert.equal(locator.lineOf('component'), 1);
  });

  it('locates elements of multi-line arrays and keys of inline tables', () => {
    const locator = locatorFor(
      'files = [', // 1
      '  "static", # a comment with ] and {',
      '  { source = "a", destination = "/a" },', // 3
      '  { source = "b",', // 4
      '    destination = "/b" },', // 5 (TOML 1.1 inline tables may span lines)
      ']',
      'env = { A = "1", B = "2" }', // 7
      'after = true', // 8
    );
    assert.equal(locator.lineOf('files[0]'), 2);
    assert.equal(locator.lineOf('files[1].destination'), 3);
    assert.equal(locator.lineOf('files[2].destination'), 5);
    assert.equal(locator.lineOf('env.B'), 7);
    assert.equal(locator.lineOf('after'), 8);
  });

  it('is not fooled by brackets, quotes and hashes inside strings', () => {
    const locator = locatorFor(
      'a = "[not.a.header] # \\" still a string"', // 1
      "b = 'C:\\path\\[x]'",
      'c = """', // 3
      '[fake]',
      'd = 1 """',
      "e = '''",
      "still e''''", // 7: a fourth quote still belongs to the string
      'f = [[1, 2], ["]"]]', // 8
      '[real]', // 9
      'g = 1979-05-27 07:32:00Z # date with a space',
      'h = 1',
    );
    assert.equal(locator.lineOf('fake'), undefined);
    assert.equal(locator.lineOf('d'), undefined);
    assert.equal(locator.lineOf('f[1][0]'), 8);
    assert.equal(locator.lineOf('real'), 9);
    assert.equal(locator.lineOf('real.h'), 11);
  });

  it('handles CRLF line endings', () => {
    const locator = new LineLocator('[application]\r\nname = "x"\r\n\r\n[component.a]\r\nsource = "s"\r\n');
    assert.equal(locator.lineOf('component.a.source'), 5);
  });

  it('falls back to the nearest written parent, and to undefined for the root', () => {
    const locator = locatorFor('[component.api]', 'source = "a"', 'env = { A = "1" }');
    assert.equal(locator.lineOf('component.api.build.command'), 1);
    assert.equal(locator.lineOf('component.api.env.A'), 3);
    assert.equal(locator.lineOf('missing'), undefined);
    assert.equal(locator.lineOf([]), undefined);
  });
});

describe('key paths', () => {
  it('parse and format round-trip', () => {
    assert.deepEqual(parseKeyPath('trigger.http[2].route'), ['trigger', 'http', 2, 'route']);
    assert.deepEqual(parseKeyPath('a[0][1]'), ['a', 0, 1]);
    assert.equal(
      formatKeyPath(['component', 'api', 'files', 1, 'destination']),
      'component.api.files[1].destination',
    );
  });
});
