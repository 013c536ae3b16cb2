/**
 * File I/O does not stop the worker's thread: while one guest reads a large file through
 * wasi:filesystem (fixtures/rust/hostile `/read`, `std::fs::read`), other requests on the same
 * worker are answered. When every read ran on the event loop, the whole file was read in one
 * stretch and the other requests waited for all of it; now each read runs in libuv's thread pool
 * and the guest is suspended meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startSkiffUp } from '../support/skiff-process.ts';

const HOSTILE = 'fixtures/rust/hostile/hostile.wasm';
const FILE_MIB = 32;

const folder = mkdtempSync(join(tmpdir(), 'skiff-big-read-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** One GET; resolves at the response head with a way to take the body. */
function get(base: URL, path: string, agent: Agent) {
  return new Promise<{ status: number; body(): Promise<Buffer> }>((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      const ended = new Promise<Buffer>((done, failed) => {
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => done(Buffer.concat(chunks)));
        res.on('error', failed);
      });
      resolve({ status: res.statusCode ?? 0, body: () => ended });
    });
    req.on('error', reject);
    req.end();
  });
}

test(`a guest reading a ${FILE_MIB} MiB file does not hold up other requests on its worker`, async () => {
  const big = Buffer.alloc(FILE_MIB << 20);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
  writeFileSync(join(folder, 'big.bin'), big);
  const skiff = await startSkiffUp([
    '--component',
    HOSTILE,
    '--dir',
    `${folder}::/data`,
    '--max-memory',
    '256MiB',
  ]);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const base = new URL(skiff.url);
    const ok = async () => {
      const res = await get(base, '/ok', agent);
      assert.equal((await res.body()).toString(), 'ok\n');
    };
    // Warm up: compiled, instances pre-warmed, connections open.
    await Promise.all([ok(), ok()]);
    let headArrived = false;
    const asked = performance.now();
    let readMs = 0;
    const reading = get(base, '/read?path=/data/big.bin', agent).then((res) => {
      headArrived = true;
      readMs = performance.now() - asked;
      return res;
    });
    // One request at a time on the same worker, for as long as the guest is still reading.
    const latencies: number[] = [];
    while (!headArrived) {
      const started = performance.now();
      await ok();
      if (!headArrived) latencies.push(performance.now() - started);
    }
    const res = await reading;
    assert.equal(res.status, 200);
    const body = await res.body();
    assert.equal(body.length, big.length);
    assert.ok(body.equals(big), 'the file comes back byte for byte');
    const worst = Math.max(...latencies);
    console.log(
      `${latencies.length} requests answered in the ${readMs.toFixed(0)} ms the guest took to read ${FILE_MIB} MiB; slowest ${worst.toFixed(1)} ms`,
    );
    // Read on the event loop, none (or the one already in flight) would get through.
    assert.ok(latencies.length >= 5, `only ${latencies.length} requests answered during the read`);
  } finally {
    agent.destroy();
    await skiff.stop();
  }
});
