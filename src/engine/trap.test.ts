import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guestBacktrace } from './trap.ts';

test('guestBacktrace keeps the guest frames and drops the interrupt checkpoint, with or without a module name', () => {
  const error = new Error('stopped');
  error.stack = [
    'Error: stopped',
    '    at app.wasm.skiff:checkpoint (wasm://wasm/0badf00d:wasm-function[90]:0x5a)',
    '    at skiff:checkpoint (wasm://wasm/0badf00d:wasm-function[91]:0x5b)',
    '    at hostile::fib (wasm://wasm/0badf00d:wasm-function[12]:0x1f0)',
    '    at wasm-function[13]:0x200',
    '    at handleRequest (file:///skiff/src/triggers/http/handle-request.ts:10:3)',
  ].join('\n');
  assert.equal(
    guestBacktrace(error, '  '),
    [
      '  guest backtrace:',
      '    at hostile::fib (wasm://wasm/0badf00d:wasm-function[12]:0x1f0)',
      '    at wasm-function[13]:0x200',
    ].join('\n'),
  );
  assert.equal(guestBacktrace(new Error('host only')), '');
});
