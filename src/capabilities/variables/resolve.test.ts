import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { VariableSpec } from '../../manifest/app.ts';
import { CapabilityConfigError } from '../capability.ts';
import { variablesImports } from './host.ts';
import { parseDotenv, ResolvedVariables } from './resolve.ts';

const spec = (s: Partial<VariableSpec>): VariableSpec => ({
  required: false,
  secret: false,
  where: undefined,
  ...s,
});

async function appWith(variables: Record<string, VariableSpec>, dotenv?: string) {
  const baseDir = await mkdtemp(join(tmpdir(), 'skiff-vars-'));
  if (dotenv !== undefined) await writeFile(join(baseDir, '.env'), dotenv);
  return { variables, baseDir, manifestPath: join(baseDir, 'skiff.toml') };
}

describe('variables', () => {
  it('the environment wins over .env, which wins over the default', async () => {
    const app = await appWith(
      {
        a: spec({ default: 'default-a' }),
        b: spec({ default: 'default-b' }),
        c: spec({ default: 'default-c' }),
      },
      'SKIFF_VARIABLE_A=dotenv-a\nSKIFF_VARIABLE_B="dotenv b"\n',
    );
    const resolved = ResolvedVariables.resolve(app, { SKIFF_VARIABLE_A: 'env-a' });
    const seen = resolved.forComponent({ variables: { a: '{{ a }}', b: '{{b}}', c: 'x-{{ c }}-y' } });
    assert.deepEqual(Object.fromEntries(seen), { a: 'env-a', b: 'dotenv b', c: 'x-default-c-y' });
  });

  it('a missing required variable stops the app, naming it and where to set it, never a secret value', async () => {
    const app = await appWith({
      token: spec({ required: true, secret: true }),
      other: spec({ secret: true, default: 's3cret-value' }),
    });
    assert.throws(
      () => ResolvedVariables.resolve(app, {}),
      (e: unknown) =>
        e instanceof CapabilityConfigError &&
        /variable "token" is required but not set: set SKIFF_VARIABLE_TOKEN=… in the environment or in .*\.env/.test(
          e.message,
        ) &&
        !e.message.includes('s3cret-value'),
    );
  });

  it('a template over a variable with no value leaves that component variable unset', async () => {
    const app = await appWith({ maybe: spec({}) });
    const seen = ResolvedVariables.resolve(app, {}).forComponent({ variables: { v: 'hi {{ maybe }}' } });
    assert.equal(seen.has('v'), false);
    const host = variablesImports(seen);
    assert.equal(host['wasi:config/store'].get('v'), undefined);
    assert.throws(
      () => host['fermyon:spin/variables'].get('v'),
      (e: { payload?: unknown }) => {
        assert.deepEqual(e.payload, { tag: 'undefined', val: 'v' });
        return true;
      },
    );
    assert.throws(
      () => host['fermyon:spin/variables'].get('Bad-Name'),
      (e: { payload?: unknown }) => {
        assert.deepEqual(e.payload, { tag: 'invalid-name', val: 'Bad-Name' });
        return true;
      },
    );
  });

  it('.env lines: comments, export, quotes, trailing comments', () => {
    const parsed = parseDotenv(
      [
        '# a comment',
        'export SKIFF_VARIABLE_X=1',
        "SKIFF_VARIABLE_Y='two words'",
        'SKIFF_VARIABLE_Z=3 # note',
        'Q="a\\nb"',
        'not a line',
      ].join('\n'),
    );
    assert.deepEqual(Object.fromEntries(parsed), {
      SKIFF_VARIABLE_X: '1',
      SKIFF_VARIABLE_Y: 'two words',
      SKIFF_VARIABLE_Z: '3',
      Q: 'a\nb',
    });
  });
});
