/**
 * `wasi:cli/{stdin,stdout,stderr}@0.3`: stdio as streams. A guest hands its output stream to
 * `write-via-stream` and the host pumps it into the instance's sink, answering with a future that
 * resolves once the stream ends; `read-via-stream` hands the guest a stream over the instance's stdin.
 * The sinks and sources are the same ones 0.2's stdio uses, so both versions interleave in order.
 */
import { HostFuture, HostStream, type StreamReader } from '../../engine/binding/canonical-abi/streams.ts';
import { type ByteSink, type ByteSource, writeAll } from '../io/streams.ts';

type Outcome = { tag: 'ok' } | { tag: 'err'; val: 'io' | 'illegal-byte-sequence' | 'pipe' };

async function pump(data: StreamReader, sink: ByteSink): Promise<Outcome> {
  try {
    for await (const chunk of data) await writeAll(sink, chunk as Uint8Array);
    await sink.flush?.();
    return { tag: 'ok' };
  } catch {
    data.close();
    return { tag: 'err', val: 'pipe' };
  }
}

function reading(source: ByteSource): { stream: HostStream; outcome: HostFuture } {
  let finish!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => {
    finish = resolve;
  });
  const next = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      try {
        const got = source.read(65536);
        if (got === 'eof') {
          finish({ tag: 'ok' });
          return undefined;
        }
        if (got.length > 0) return got;
      } catch {
        finish({ tag: 'err', val: 'io' });
        return undefined;
      }
      await source.whenReadable();
    }
  };
  return { stream: new HostStream(next, () => finish({ tag: 'ok' })), outcome: new HostFuture(outcome) };
}

export function stdioImportsP3(io: { stdin: ByteSource; stdout: ByteSink; stderr: ByteSink }) {
  return {
    'wasi:cli/stdin@0.3': {
      readViaStream: (): [HostStream, HostFuture] => {
        const { stream, outcome } = reading(io.stdin);
        return [stream, outcome];
      },
    },
    'wasi:cli/stdout@0.3': { writeViaStream: (data: StreamReader) => new HostFuture(pump(data, io.stdout)) },
    'wasi:cli/stderr@0.3': { writeViaStream: (data: StreamReader) => new HostFuture(pump(data, io.stderr)) },
  };
}
