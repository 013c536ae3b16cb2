/**
 * `wasi:sockets/types@0.3#tcp-socket` over libuv's TCP handle (Node's `tcp_wrap` binding, the one
 * `net` is built on): the WIT's `bind` and `listen` are synchronous and must answer at once with
 * the port or `address-in-use`, which `net.Server.listen` cannot. Once connected, a handle is
 * wrapped in a `net.Socket` for its byte streams. Keep-alive timing, hop limit and buffer sizes
 * are kept per socket as the guest set them (Node offers no portable setter for most of them);
 * keep-alive on/off and its idle time are applied to the connection.
 */
import { Socket } from 'node:net';
import { HostFuture, HostStream, type StreamReader } from '../../../engine/binding/canonical-abi/streams.ts';
import { ResultError } from '../../result-error.ts';
import {
  check,
  checkAddress,
  checkFamily,
  checkRemote,
  type ErrorCode,
  errorCodeOf,
  errorCodeOfError,
  fail,
  fromWit,
  type IpAddressFamily,
  type IpSocketAddress,
  nonZero,
  type Outcome,
  type SocketAddress,
  toWit,
} from './common.ts';
import type { SocketGrants } from './grants.ts';

interface TcpHandle {
  bind(ip: string, port: number, flags?: number): number;
  bind6(ip: string, port: number, flags: number): number;
  listen(backlog: number): number;
  connect(req: unknown, ip: string, port: number): number;
  connect6(req: unknown, ip: string, port: number): number;
  getsockname(out: object): number;
  getpeername(out: object): number;
  setKeepAlive(enable: boolean, delaySeconds: number): number;
  close(callback?: () => void): void;
  onconnection: ((status: number, client: TcpHandle | undefined) => void) | null;
}

interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => {
    oncomplete: (status: number) => void;
    address?: string;
    port?: number;
  };
  constants: { SOCKET: number; SERVER: number; UV_TCP_IPV6ONLY: number };
}

const wrap = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as TcpWrap;

type State = 'unbound' | 'bound' | 'listening' | 'connecting' | 'connected' | 'closed';

const SECOND = 1_000_000_000n;

interface Options {
  keepAlive: boolean;
  keepAliveIdle: bigint;
  keepAliveInterval: bigint;
  keepAliveCount: number;
  hopLimit: number;
  receiveBuffer: bigint;
  sendBuffer: bigint;
  backlog: number;
}

/** The sockets of one instance, so stopping it closes them. */
export class SocketSet {
  readonly #open = new Set<{ close(): void }>();
  add(socket: { close(): void }): void {
    this.#open.add(socket);
  }
  delete(socket: { close(): void }): void {
    this.#open.delete(socket);
  }
  closeAll(): void {
    for (const socket of [...this.#open]) socket.close();
    this.#open.clear();
  }
}

export function tcpSocketClass(grants: SocketGrants, open: SocketSet) {
  return class TcpSocket {
    readonly #family: IpAddressFamily;
    #handle: TcpHandle;
    #state: State = 'unbound';
    #socket: Socket | undefined;
    #sent = false;
    #received = false;
    /** The resource and the streams derived from it: the OS socket closes when all are gone. */
    #refs = 1;
    #closed = false;
    #wakeListener: (() => void) | undefined;
    #options: Options = {
      keepAlive: false,
      keepAliveIdle: 7200n * SECOND,
      keepAliveInterval: 75n * SECOND,
      keepAliveCount: 9,
      hopLimit: 64,
      receiveBuffer: 131072n,
      sendBuffer: 16384n,
      backlog: 128,
    };

    private constructor(family: IpAddressFamily, handle: TcpHandle) {
      this.#family = family;
      this.#handle = handle;
      open.add(this);
    }

    static create(addressFamily: IpAddressFamily): TcpSocket {
      return new TcpSocket(checkFamily(addressFamily), new wrap.TCP(wrap.constants.SOCKET));
    }

    /** An accepted connection, with the listener's inherited options. */
    static #accepted(family: IpAddressFamily, handle: TcpHandle, options: Options): TcpSocket {
      const socket = new TcpSocket(family, handle);
      socket.#options = { ...options };
      socket.#connected();
      return socket;
    }

    bind(localAddress: IpSocketAddress): void {
      if (this.#state !== 'unbound') fail('invalid-state');
      const local = fromWit(localAddress);
      checkAddress(this.#family, local);
      grants.checkBind('tcp', local);
      this.#bindTo(local);
    }

    #bindTo(local: SocketAddress): void {
      const err =
        local.family === 'ipv6'
          ? this.#handle.bind6(local.ip, local.port, wrap.constants.UV_TCP_IPV6ONLY)
          : this.#handle.bind(local.ip, local.port);
      // libuv reports EADDRINUSE late (at listen or connect); getsockname tells it at once.
      const named = err < 0 ? err : this.#handle.getsockname({});
      if (named < 0) {
        // A failed bind may be tried again: on a fresh handle, the failed one is gone.
        this.#handle.close();
        this.#handle = new wrap.TCP(wrap.constants.SOCKET);
        check(named);
      }
      this.#state = 'bound';
    }

    listen(): HostStream {
      if (this.#state === 'listening' || this.#state === 'connected' || this.#state === 'connecting')
        fail('invalid-state');
      if (this.#state === 'closed') fail('invalid-state');
      if (this.#state === 'unbound') {
        const any: SocketAddress =
          this.#family === 'ipv4'
            ? { family: 'ipv4', ip: '0.0.0.0', port: 0 }
            : { family: 'ipv6', ip: '::', port: 0 };
        grants.checkBind('tcp', any);
        this.#bindTo(any);
      }
      const waiting: TcpSocket[] = [];
      let wake: (() => void) | undefined;
      let dropped = false;
      this.#handle.onconnection = (status, client) => {
        if (status < 0 || !client) return; // a transient accept error: skipped, the stream goes on
        if (dropped) {
          client.close();
          return;
        }
        waiting.push(TcpSocket.#accepted(this.#family, client, this.#options));
        wake?.();
      };
      this.#wakeListener = () => wake?.();
      check(this.#handle.listen(this.#options.backlog));
      this.#state = 'listening';
      this.#refs++;
      const next = async (): Promise<TcpSocket[] | undefined> => {
        while (waiting.length === 0) {
          if (this.#closed) return undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
        return [waiting.shift() as TcpSocket];
      };
      return new HostStream(next, () => {
        dropped = true;
        for (const socket of waiting.splice(0)) socket.close();
        this.#release();
      });
    }

    async connect(remoteAddress: IpSocketAddress): Promise<void> {
      const remote = fromWit(remoteAddress);
      checkRemote(this.#family, remote);
      if (this.#state === 'connecting' || this.#state === 'connected' || this.#state === 'listening')
        fail('invalid-state');
      if (this.#state === 'closed') fail('invalid-state');
      grants.checkConnect('tcp', remote);
      this.#state = 'connecting';
      const status = await new Promise<number>((resolve) => {
        const req = new wrap.TCPConnectWrap();
        req.oncomplete = resolve;
        req.address = remote.ip;
        req.port = remote.port;
        const err =
          remote.family === 'ipv6'
            ? this.#handle.connect6(req, remote.ip, remote.port)
            : this.#handle.connect(req, remote.ip, remote.port);
        if (err < 0) resolve(err);
      });
      if (status < 0) {
        this.#state = 'closed';
        throw new ResultError<ErrorCode>(errorCodeOf(status));
      }
      this.#connected();
    }

    #connected(): void {
      this.#state = 'connected';
      const socket = new Socket({
        handle: this.#handle,
        readable: true,
        writable: true,
        allowHalfOpen: true,
        pauseOnCreate: true,
      } as unknown as ConstructorParameters<typeof Socket>[0]);
      socket.on('error', () => {}); // reported through send's and receive's futures
      this.#socket = socket;
      if (this.#options.keepAlive) this.#applyKeepAlive();
    }

    send(data: StreamReader): HostFuture {
      const socket = this.#socket;
      if (this.#state !== 'connected' || !socket || this.#sent) {
        data.close();
        return new HostFuture(Promise.resolve(err({ tag: 'invalid-state' })));
      }
      this.#sent = true;
      this.#refs++;
      return new HostFuture(
        pumpInto(data, socket).finally(() => {
          this.#release();
        }),
      );
    }

    receive(): [HostStream, HostFuture] {
      const socket = this.#socket;
      if (this.#state !== 'connected' || !socket || this.#received) {
        return [
          new HostStream(async () => undefined),
          new HostFuture(Promise.resolve(err({ tag: 'invalid-state' }))),
        ];
      }
      this.#received = true;
      this.#refs++;
      let finish!: (outcome: Outcome) => void;
      const outcome = new Promise<Outcome>((resolve) => {
        finish = resolve;
      });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#release();
      };
      let failure: ErrorCode | undefined;
      socket.on('error', (e) => {
        failure ??= errorCodeOfError(e);
      });
      const next = async (): Promise<Uint8Array | undefined> => {
        for (;;) {
          const chunk = socket.read() as Buffer | null;
          if (chunk) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          if (failure || socket.readableEnded || socket.destroyed) {
            finish(failure ? err(failure) : { tag: 'ok' });
            release();
            return undefined;
          }
          await new Promise<void>((resolve) => {
            const done = () => {
              socket.off('readable', done);
              socket.off('end', done);
              socket.off('close', done);
              resolve();
            };
            socket.on('readable', done);
            socket.on('end', done);
            socket.on('close', done);
          });
        }
      };
      const stream = new HostStream(next, () => {
        // The guest wants no more: what still arrives is discarded (POSIX's shutdown(SHUT_RD)).
        finish(failure ? err(failure) : { tag: 'ok' });
        socket.on('data', () => {});
        socket.resume();
        release();
      });
      return [stream, new HostFuture(outcome)];
    }

    getLocalAddress(): IpSocketAddress {
      if (this.#state === 'unbound' || this.#state === 'closed') fail('invalid-state');
      const out: { address?: string; port?: number } = {};
      check(this.#handle.getsockname(out));
      return toWit(out as { address: string; port: number });
    }

    getRemoteAddress(): IpSocketAddress {
      if (this.#state !== 'connected') fail('invalid-state');
      const out: { address?: string; port?: number } = {};
      check(this.#handle.getpeername(out));
      return toWit(out as { address: string; port: number });
    }

    getIsListening(): boolean {
      return this.#state === 'listening';
    }

    getAddressFamily(): IpAddressFamily {
      return this.#family;
    }

    setListenBacklogSize(value: bigint): void {
      nonZero(value);
      if (this.#state === 'connecting' || this.#state === 'connected') fail('invalid-state');
      // Takes effect at listen; a listening socket keeps its queue (libuv cannot change it).
      this.#options.backlog = Number(value > 0x7fffffffn ? 0x7fffffffn : value);
    }

    getKeepAliveEnabled(): boolean {
      return this.#options.keepAlive;
    }
    setKeepAliveEnabled(value: boolean): void {
      this.#options.keepAlive = value;
      this.#applyKeepAlive();
    }
    getKeepAliveIdleTime(): bigint {
      return this.#options.keepAliveIdle;
    }
    setKeepAliveIdleTime(value: bigint): void {
      nonZero(value);
      // Kernels count whole seconds: round up, so 1 ns is 1 s.
      const seconds = (value + SECOND - 1n) / SECOND;
      this.#options.keepAliveIdle = (seconds > 0x7fffn ? 0x7fffn : seconds) * SECOND;
      this.#applyKeepAlive();
    }
    getKeepAliveInterval(): bigint {
      return this.#options.keepAliveInterval;
    }
    setKeepAliveInterval(value: bigint): void {
      nonZero(value);
      const seconds = (value + SECOND - 1n) / SECOND;
      this.#options.keepAliveInterval = (seconds > 0x7fffn ? 0x7fffn : seconds) * SECOND;
    }
    getKeepAliveCount(): number {
      return this.#options.keepAliveCount;
    }
    setKeepAliveCount(value: number): void {
      nonZero(value);
      this.#options.keepAliveCount = Math.min(value, 127);
    }
    getHopLimit(): number {
      return this.#options.hopLimit;
    }
    setHopLimit(value: number): void {
      this.#options.hopLimit = nonZero(value);
    }
    getReceiveBufferSize(): bigint {
      return this.#options.receiveBuffer;
    }
    setReceiveBufferSize(value: bigint): void {
      this.#options.receiveBuffer = clampBuffer(nonZero(value));
    }
    getSendBufferSize(): bigint {
      return this.#options.sendBuffer;
    }
    setSendBufferSize(value: bigint): void {
      this.#options.sendBuffer = clampBuffer(nonZero(value));
    }

    #applyKeepAlive(): void {
      if (this.#state !== 'connected') return;
      this.#handle.setKeepAlive(this.#options.keepAlive, Number(this.#options.keepAliveIdle / SECOND));
    }

    [Symbol.dispose](): void {
      this.#release();
    }

    #release(): void {
      if (--this.#refs <= 0) this.close();
    }

    /** Closes the OS socket (the instance stopped, or nothing refers to it any more). */
    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      open.delete(this);
      this.#wakeListener?.();
      const socket = this.#socket;
      this.#socket = undefined;
      this.#state = 'closed';
      if (socket) {
        if (this.#received) socket.resume();
        socket.destroySoon();
      } else this.#handle.close();
    }
  };
}

export type TcpSocketClass = ReturnType<typeof tcpSocketClass>;

function err(code: ErrorCode): Outcome {
  return { tag: 'err', val: code };
}

function clampBuffer(value: bigint): bigint {
  return value > 0x7fffffffn ? 0x7fffffffn : value;
}

/** Writes the guest's stream to the connection, then half-closes it (FIN). */
async function pumpInto(data: StreamReader, socket: Socket): Promise<Outcome> {
  let failure: ErrorCode | undefined;
  const onError = (e: unknown) => {
    failure ??= errorCodeOfError(e);
  };
  socket.on('error', onError);
  try {
    for await (const chunk of data) {
      if (failure || socket.destroyed || socket.writableEnded) break;
      await new Promise<void>((resolve) => {
        socket.write(chunk as Uint8Array, (e) => {
          if (e) onError(e);
          resolve();
        });
      });
    }
    if (!failure && !socket.destroyed && !socket.writableEnded) {
      await new Promise<void>((resolve) => {
        socket.end(() => resolve());
        socket.once('error', () => resolve());
        socket.once('close', () => resolve());
      });
    }
  } catch (e) {
    onError(e);
  }
  data.close();
  socket.off('error', onError);
  if (failure) return err(failure);
  if (socket.destroyed && !socket.writableFinished) return err({ tag: 'connection-broken' });
  return { tag: 'ok' };
}
