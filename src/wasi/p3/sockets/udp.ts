/**
 * `wasi:sockets/types@0.3#udp-socket` over libuv's UDP handle (Node's `udp_wrap` binding, the one
 * `dgram` is built on): bind and connect are synchronous in the WIT and here too. Datagrams that
 * arrive while no `receive` waits are queued (up to 64, then the oldest go, as a full kernel
 * buffer would drop them). Hop limit and buffer sizes are kept as the guest set them.
 */
import { ResultError } from '../../result-error.ts';
import {
  check,
  checkAddress,
  checkFamily,
  checkRemote,
  type ErrorCode,
  errorCodeOf,
  fail,
  fromWit,
  type IpAddressFamily,
  type IpSocketAddress,
  nonZero,
  type SocketAddress,
  toWit,
} from './common.ts';
import type { SocketGrants } from './grants.ts';
import type { SocketSet } from './tcp.ts';

interface UdpHandle {
  bind(ip: string, port: number, flags: number): number;
  bind6(ip: string, port: number, flags: number): number;
  connect(ip: string, port: number): number;
  connect6(ip: string, port: number): number;
  disconnect(): number;
  send(req: unknown, list: Uint8Array[], count: number, ...rest: unknown[]): number;
  send6(req: unknown, list: Uint8Array[], count: number, ...rest: unknown[]): number;
  recvStart(): number;
  recvStop(): number;
  getsockname(out: object): number;
  close(): void;
  onmessage: ((nread: number, handle: UdpHandle, buf: Buffer | undefined, rinfo: Peer) => void) | null;
}

interface Peer {
  address: string;
  port: number;
}

interface UdpWrap {
  UDP: new () => UdpHandle;
  SendWrap: new () => { oncomplete?: (status: number, sent: number) => void; list?: unknown };
  constants: { UV_UDP_IPV6ONLY: number };
}

const wrap = (process as unknown as { binding(name: string): unknown }).binding('udp_wrap') as UdpWrap;

const QUEUE_LIMIT = 64;
const MAX_DATAGRAM = 65535;

type Received = { data: Uint8Array; from: Peer } | { error: ErrorCode };

export function udpSocketClass(grants: SocketGrants, open: SocketSet) {
  return class UdpSocket {
    readonly #family: IpAddressFamily;
    readonly #handle = new wrap.UDP();
    #bound = false;
    #remote: SocketAddress | undefined;
    #closed = false;
    #receiving = false;
    readonly #queue: Received[] = [];
    readonly #waiters: Array<() => void> = [];
    #hopLimit = 64;
    #receiveBuffer = 212992n;
    #sendBuffer = 212992n;

    private constructor(family: IpAddressFamily) {
      this.#family = family;
      open.add(this);
    }

    static create(addressFamily: IpAddressFamily): UdpSocket {
      return new UdpSocket(checkFamily(addressFamily));
    }

    bind(localAddress: IpSocketAddress): void {
      if (this.#closed) fail('invalid-state');
      if (this.#bound) fail('invalid-state');
      const local = fromWit(localAddress);
      checkAddress(this.#family, local);
      grants.checkBind('udp', local);
      this.#bindTo(local);
    }

    #bindTo(local: SocketAddress): void {
      check(
        local.family === 'ipv6'
          ? this.#handle.bind6(local.ip, local.port, wrap.constants.UV_UDP_IPV6ONLY)
          : this.#handle.bind(local.ip, local.port, 0),
      );
      this.#bound = true;
    }

    /** The implicit bind of connect and send: an ephemeral port on the unspecified address. */
    #bindImplicitly(): void {
      if (this.#bound) return;
      this.#bindTo(
        this.#family === 'ipv4'
          ? { family: 'ipv4', ip: '0.0.0.0', port: 0 }
          : { family: 'ipv6', ip: '::', port: 0 },
      );
    }

    connect(remoteAddress: IpSocketAddress): void {
      if (this.#closed) fail('invalid-state');
      const remote = fromWit(remoteAddress);
      checkRemote(this.#family, remote);
      grants.checkConnect('udp', remote);
      this.#bindImplicitly();
      if (this.#remote) check(this.#handle.disconnect());
      this.#remote = undefined;
      check(
        remote.family === 'ipv6'
          ? this.#handle.connect6(remote.ip, remote.port)
          : this.#handle.connect(remote.ip, remote.port),
      );
      this.#remote = remote;
      // What was queued from others is not for a connected socket.
      this.#queue.length = 0;
    }

    disconnect(): void {
      if (this.#closed || !this.#remote) fail('invalid-state');
      check(this.#handle.disconnect());
      this.#remote = undefined;
    }

    async send(data: Uint8Array, remoteAddress: IpSocketAddress | undefined): Promise<void> {
      if (this.#closed) fail('invalid-state');
      let to: SocketAddress | undefined;
      if (remoteAddress) {
        to = fromWit(remoteAddress);
        checkRemote(this.#family, to);
        if (this.#remote && (to.ip !== this.#remote.ip || to.port !== this.#remote.port))
          fail('invalid-argument');
      } else if (!this.#remote) fail('invalid-argument');
      if (data.length > MAX_DATAGRAM) fail('datagram-too-large');
      if (to && !this.#remote) grants.checkConnect('udp', to);
      this.#bindImplicitly();
      const status = await new Promise<number>((resolve) => {
        const req = new wrap.SendWrap();
        req.list = [data];
        req.oncomplete = (status) => resolve(status);
        const send = (this.#family === 'ipv6' ? this.#handle.send6 : this.#handle.send).bind(this.#handle);
        // A connected socket sends without an address (POSIX send), else sendto.
        const result =
          this.#remote || !to ? send(req, [data], 1, true) : send(req, [data], 1, to.port, to.ip, true);
        // libuv answers synchronously with length + 1 when it sent at once.
        if (result !== 0) resolve(Math.min(result, 0));
      });
      if (status < 0) throw new ResultError<ErrorCode>(errorCodeOf(status));
    }

    async receive(): Promise<[Uint8Array, IpSocketAddress]> {
      if (this.#closed || !this.#bound) fail('invalid-state');
      this.#startReceiving();
      while (this.#queue.length === 0) {
        if (this.#closed) fail('invalid-state');
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
      const got = this.#queue.shift() as Received;
      if ('error' in got) throw new ResultError<ErrorCode>(got.error);
      return [got.data, toWit(got.from)];
    }

    #startReceiving(): void {
      if (this.#receiving) return;
      this.#receiving = true;
      this.#handle.onmessage = (nread, _handle, buf, rinfo) => {
        if (nread < 0) this.#queue.push({ error: errorCodeOf(nread) });
        else if (buf) {
          if (this.#remote && (rinfo.address !== this.#remote.ip || rinfo.port !== this.#remote.port)) return;
          this.#queue.push({ data: new Uint8Array(buf.buffer, buf.byteOffset, nread), from: rinfo });
        }
        if (this.#queue.length > QUEUE_LIMIT) this.#queue.shift();
        for (const wake of this.#waiters.splice(0)) wake();
      };
      check(this.#handle.recvStart());
    }

    getLocalAddress(): IpSocketAddress {
      if (this.#closed || !this.#bound) fail('invalid-state');
      const out: { address?: string; port?: number } = {};
      check(this.#handle.getsockname(out));
      return toWit(out as Peer);
    }

    getRemoteAddress(): IpSocketAddress {
      if (this.#closed || !this.#remote) fail('invalid-state');
      return toWit({ address: this.#remote.ip, port: this.#remote.port });
    }

    getAddressFamily(): IpAddressFamily {
      return this.#family;
    }

    getUnicastHopLimit(): number {
      return this.#hopLimit;
    }
    setUnicastHopLimit(value: number): void {
      this.#hopLimit = nonZero(value);
    }
    getReceiveBufferSize(): bigint {
      return this.#receiveBuffer;
    }
    setReceiveBufferSize(value: bigint): void {
      nonZero(value);
      this.#receiveBuffer = value > 0x7fffffffn ? 0x7fffffffn : value;
    }
    getSendBufferSize(): bigint {
      return this.#sendBuffer;
    }
    setSendBufferSize(value: bigint): void {
      nonZero(value);
      this.#sendBuffer = value > 0x7fffffffn ? 0x7fffffffn : value;
    }

    [Symbol.dispose](): void {
      this.close();
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      open.delete(this);
      this.#handle.close();
      for (const wake of this.#waiters.splice(0)) wake();
    }
  };
}
