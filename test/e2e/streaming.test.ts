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
