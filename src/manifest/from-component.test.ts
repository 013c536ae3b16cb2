import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManifestError } from './errors.ts';
import { appFromComponent, type ComponentAppOptions } from './load.ts';

let dir = '';
let wasm = '';
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-component-'));
  wasm = path.join(dir, 'Hello World.wasm');
  fs.writeFileSync(wasm, '\0asm');
  fs.mkdirSync(path.join(dir, 'static'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function flagProblems(options: ComponentAppOptions): { file: string; text: string }[] {
  try {
    appFromComponent(options);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    return error.problems.map((p) => ({ file: p.file, text: `${p.message} — ${p.hint}` }));
  }
  assert.fail('expected a ManifestError');
}

describe('appFromComponent', () => {
  it('serves one component at /... with an id from the file name', () => {
    const app = appFromComponent({
      source: wasm,
      environment: { A: '1' },
      allowedOutboundHosts: ['https://example.com'],
    });
    assert.equal(app.manifestPath, undefined);
    assert.equal(app.name, 'hello-world');
    assert.deepEqual(app.triggers, [
      { type: 'http', route: '/...', component: 'hello-world', where: undefined },
    ]);
    assert.deepEqual(app.components.get('hello-world'), {
      id: 'hello-world',
      source: wasm,
      description: undefined,
      environment: { A: '1' },
      files: [],
      allowedOutboundHosts: ['https://example.com'],
      build: undefined,
      where: undefined,
    });
  });

  it('resolves a relative source and normalizes --route and --dir', () => {
    const app = appFromComponent({
      source: path.relative(process.cwd(), wasm),
      route: '/api/',
      files: [{ hostPath: path.join(dir, 'static'), guestPath: '/www/', readOnly: false }],
    });
    const component = app.components.get('hello-world');
    assert.equal(component?.source, wasm);
    assert.deepEqual(component?.files, [
      { hostPath: path.join(dir, 'static'), guestPath: '/www', readOnly: false },
    ]);
    assert.equal(app.triggers[0]?.route, '/api');
  });

  const cases: { name: string; options: () => ComponentAppOptions; file: string; message: string }[] = [
    {
      name: 'missing file',
      options: () => ({ source: path.join(dir, 'nope.wasm') }),
      file: '--component',
      message: 'component not found',
    },
    {
      name: 'a folder',
      options: () => ({ source: dir }),
      file: '--component',
      message: 'is a folder, expected a file',
    },
    {
      name: 'bad route',
      options: () => ({ source: wasm, route: 'api' }),
      file: '--route',
      message: 'write it as "/api"',
    },
    {
      name: 'reserved route',
      options: () => ({ source: wasm, route: '/.well-known/skiff/health' }),
      file: '--route',
      message: 'reserved',
    },
    {
      name: 'bad outbound host',
      options: () => ({ source: wasm, allowedOutboundHosts: ['example.com'] }),
      file: '--allow-outbound',
      message: 'has no scheme',
    },
    {
      name: 'bad env name',
      options: () => ({ source: wasm, environment: { 'A=B': 'x' } }),
      file: '--env',
      message: 'invalid environment variable name',
    },
    {
      name: 'relative guest path',
      options: () => ({ source: wasm, files: [{ hostPath: dir, guestPath: 'www', readOnly: true }] }),
      file: '--dir',
      message: 'is not an absolute path',
    },
    {
      name: 'two mounts at one guest path',
      options: () => ({
        source: wasm,
        files: [
          { hostPath: dir, guestPath: '/www', readOnly: true },
          { hostPath: dir, guestPath: '/www/', readOnly: true },
        ],
      }),
      file: '--dir',
      message: 'two --dir flags mount at guest path "/www"',
    },
    {
      name: 'missing host path',
      options: () => ({
        source: wasm,
        files: [{ hostPath: path.join(dir, 'nope'), guestPath: '/n', readOnly: true }],
      }),
      file: '--dir',
      message: 'host path not found',
    },
  ];
  for (const { name, options, file, message } of cases) {
    it(`rejects ${name}, naming ${file}`, () => {
      const problems = flagProblems(options());
      assert.ok(
        problems.some((p) => p.file === file && p.text.includes(message)),
        `expected a ${file} problem containing ${JSON.stringify(message)}; got ${JSON.stringify(problems)}`,
      );
    });
  }

  it('reports every bad flag at once, as "--flag: problem" lines', () => {
    const problems = flagProblems({
      source: path.join(dir, 'nope.wasm'),
      route: 'x',
      allowedOutboundHosts: ['ftp://a'],
    });
    assert.deepEqual(
      problems.map((p) => p.file),
      ['--component', '--route', '--allow-outbound'],
    );
    assert.throws(() => appFromComponent({ source: wasm, route: 'x' }), {
      name: 'ManifestError',
      message: /^--route: route "x" does not start with "\/" — write it as "\/x"$/,
    });
  });
});
