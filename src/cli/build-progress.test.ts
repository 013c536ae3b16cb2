import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildProgress, formatElapsed } from './build-progress.ts';

/** A stand-in for stdout that records what is written. */
function screen(isTTY: boolean) {
  const writes: string[] = [];
  const out = { isTTY, write: (text: string) => writes.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { out, text: () => writes.join('') };
}

test('elapsed times read as ms, tenths of seconds, then minutes and seconds', () => {
  assert.equal(formatElapsed(850), '850ms');
  assert.equal(formatElapsed(12_340), '12.3s');
  assert.equal(formatElapsed(125_000), '2m 05s');
});

test('on a terminal a spinner line turns into the result; elsewhere only the result line is written', async () => {
  const terminal = screen(true);
  const progress = buildProgress(terminal.out);
  progress.start('api');
  await sleep(200);
  progress.finish('api', true);
  const frames = terminal.text().split('\r\x1b[2K').filter(Boolean);
  assert.ok(frames.length >= 3, `the spinner turned: ${JSON.stringify(frames)}`);
  assert.match(frames[0] as string, /^⠋ api: building \(\d+ms\)$/);
  assert.match(frames.at(-1) as string, /^✓ api: built in \d+ms\n$/);

  const log = screen(false);
  const plain = buildProgress(log.out);
  plain.start('api');
  await sleep(100);
  plain.finish('api', false);
  assert.match(log.text(), /^api: failed after \d+ms\n$/);
});
