/**
 * 256 MiB through an echo guest in both directions without the host holding it in memory. Garbage
 * from passing chunks is collected whatever the volume; buffering would grow with it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { test } from 'node:test';
import { startSkiffUp } from '../support/skiff-process.ts';

const TOTAL = 256 * 1024 * 1024;
const CHUNK = 256 * 1024;

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

test('a 256 MiB upload streams through the echo guest and back without being buffered whole', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/echo/echo.wasm']);
  try {
    // Warm up so the baseline includes the compiled guest and the pre-warmed pool.
    await (await fetch(`${skiff.url}/warm`, { method: 'POST', body: 'x' })).text();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pid = skiff.child.pid as number;
    const baseline = peakRssMiB(pid);
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let receivedBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const url = new URL(`${skiff.url}/upload`);
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST' },
        (res) => {
          assert.equal(res.statusCode, 200);
          res.on('data', (d: Buffer) => {
            receivedBytes += d.length;
            received.update(d);
          });
          res.on('end', resolve);
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(CHUNK);
      let written = 0;
      const pump = () => {
        while (written < TOTAL) {
          chunk.fill(written % 251);
          sent.update(chunk);
          written += CHUNK;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(receivedBytes, TOTAL);
    assert.equal(received.digest('hex'), sent.digest('hex'));
    const growth = peakRssMiB(pid) - baseline;
    // Buffering the body whole would add at least 256 MiB; streaming keeps to windows and garbage.
    assert.ok(growth < 128, `peak RSS grew by ${growth.toFixed(1)} MiB while streaming 256 MiB`);
  } finally {
    await skiff.stop();
  }
});

test('a guest polling its body together with a timer (as async runtimes do) leaves no listener behind per wait', async () => {
  const skiff = await startSkiffUp(['--component', 'fixtures/rust/responder/responder.wasm']);
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request(`${skiff.url}/poll-read`, { method: 'POST' }, (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      // A trickle: most of the guest's 1 ms polls end on its timer while the body has nothing new.
      let sent = 0;
      const timer = setInterval(() => {
        req.write('0123456789');
        if (++sent === 20) {
          clearInterval(timer);
          req.end();
        }
      }, 60);
    });
    assert.match(answer, /^read 200 bytes in \d+ reads\n$/);
    const reads = Number(/in (\d+) reads/.exec(answer)?.[1]);
    assert.ok(reads > 100, `the guest waited ${reads} times, enough to have piled up listeners`);
    assert.doesNotMatch(skiff.stderr(), /MaxListenersExceededWarning/);
  } finally {
    await skiff.stop();
  }
});
