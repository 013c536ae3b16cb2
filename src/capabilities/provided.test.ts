import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkImports, UnprovidedImportError } from './provided.ts';

test('an import nothing provides is refused at load, naming it and what would provide it; what Skiff provides passes', () => {
  const provided = [
    'wasi:cli/environment@0.2.3',
    'wasi:clocks/types@0.3.0-rc-2025-09-16',
    'wasi:sockets/tcp@0.2.0',
    'wasi:keyvalue/store@0.2.0-draft2',
    'wasi:keyvalue/atomics@0.2.0-draft2',
    'wasi:config/store@0.2.0-draft',
    'wasi:logging/logging@0.1.0-draft',
    'fermyon:spin/key-value@2.0.0',
    'fermyon:spin/variables@2.0.0',
  ];
  assert.doesNotThrow(() => checkImports('ok', { imports: provided }));
  assert.throws(
    () =>
      checkImports('app', {
        imports: [
          ...provided,
          'fermyon:spin/sqlite@2.0.0',
          'wasi:keyvalue/store@0.2.0-draft',
          'acme:billing/api@1.0.0',
        ],
      }),
    (e: unknown) => {
      assert.ok(e instanceof UnprovidedImportError);
      assert.match(e.message, /^component "app" imports what Skiff cannot provide/);
      assert.match(e.message, /fermyon:spin\/sqlite@2\.0\.0: a Spin capability Skiff does not have yet/);
      assert.match(
        e.message,
        /wasi:keyvalue\/store@0\.2\.0-draft: Skiff provides wasi:keyvalue@0\.2\.0-draft2/,
      );
      assert.match(e.message, /acme:billing\/api@1\.0\.0: no Skiff capability provides it/);
      assert.doesNotMatch(e.message, /draft2:|environment|key-value@2/);
      return true;
    },
  );
});
