/**
 * wasi:sockets@0.3 against real sockets on 127.0.0.1 (ephemeral ports): nothing without a grant
 * (and the log names the grant), a granted TCP echo both ways (connect, and listen + accept),
 * UDP datagrams with the sender's address, and libuv's errors as the WIT's error codes.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, connect as netConnect, type Server } from 'node:net';
import { test } from 'node:test';
import { FutureReader, HostStream, StreamReader } from '../../../engine/binding/canonical-abi/streams.ts';
import { OutboundPolicy } from '../../http/outbound-policy.ts';
import { ResultError } from '../../result-error.ts';
import { errorCodeOf, type IpSocketAddress } from './common.ts';
import { bindAddressProblem } from './grants.ts';
import { SocketSet, socketsImportsP3 } from './index.ts';

const v4 = (port: number, address: [number, number, number, number] = [127, 0, 0, 1]): IpSocketAddress => ({
  tag: 'ipv4',
  val: { port, address },
});

function host(outbound: string[] = [], bind: string[] = []) {
  const logged: string[] = [];
  const stopped = new AbortController();
  const net = socketsImportsP3(
    OutboundPolicy.fromPatterns(outbound),
    bind,
    (m) => logged.push(m),
    stopped.signal,
  );
  return { ...net.types, lookup: net.ipNameLookup, logged, stop: () => stopped.abort() };
}

async function errorTag(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof ResultError, `expected a ResultError, got ${e}`);
    return (e.payload as { tag: string }).tag;
  }
  assert.fail('expected an error');
}

function bytesStream(...chunks: string[]): StreamReader {
  const left = chunks.map((c) => new TextEncoder().encode(c));
  return new StreamReader(new HostStream(async () => left.shift()));
}

async function readAll(stream: HostStream): Promise<string> {
  const reader = new StreamReader(stream);
  let text = '';
  for await (const chunk of reader) text += new TextDecoder().decode(chunk as Uint8Array);
  return text;
}

async function outcome(future: unknown): Promise<unknown> {
  const got = await new FutureReader(future as ConstructorParameters<typeof FutureReader>[0]).read();
  return 'value' in got ? got.value : got;
}

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

test('without a grant, connect and bind are access-denied and the log names the grant', async () => {
  const { TcpSocket, UdpSocket, logged } = host();
  const tcp = TcpSocket.create('ipv4');
  assert.equal(await errorTag(() => tcp.connect(v4(5432))), 'access-denied');
  assert.match(logged.at(-1) ?? '', /"tcp:\/\/127\.0\.0\.1:5432" to allowed_outbound_hosts/);
  assert.equal(await errorTag(() => TcpSocket.create('ipv4').bind(v4(8080))), 'access-denied');
  assert.match(logged.at(-1) ?? '', /"tcp:\/\/127\.0\.0\.1:8080" to allowed_bind_addresses/);
  assert.equal(await errorTag(() => TcpSocket.create('ipv4').listen()), 'access-denied');
  const udp = UdpSocket.create('ipv4');
  assert.equal(await errorTag(() => udp.send(new Uint8Array([1]), v4(53))), 'access-denied');
  assert.match(logged.at(-1) ?? '', /"udp:\/\/127\.0\.0\.1:53" to allowed_outbound_hosts/);
  assert.equal(await errorTag(() => udp.connect(v4(53))), 'access-denied');
  assert.equal(await errorTag(() => UdpSocket.create('ipv4').bind(v4(0))), 'access-denied');
  assert.match(logged.at(-1) ?? '', /"udp:\/\/127\.0\.0\.1:\*" to allowed_bind_addresses/);
});

test('a wildcard grant does not reach loopback; a tcp grant does not grant udp', async () => {
  const { TcpSocket, UdpSocket } = host(['tcp://*:*', '*://*:5000'], ['udp://127.0.0.1:9000']);
  assert.equal(await errorTag(() => TcpSocket.create('ipv4').connect(v4(5000))), 'access-denied');
  assert.equal(
    await errorTag(() => UdpSocket.create('ipv4').send(new Uint8Array([1]), v4(5001))),
    'access-denied',
  );
  // A bind grant names its port: port 0 (ephemeral) needs ":*".
  assert.equal(await errorTag(() => UdpSocket.create('ipv4').bind(v4(0))), 'access-denied');
  assert.equal(await errorTag(() => TcpSocket.create('ipv4').bind(v4(9000))), 'access-denied');
});

test('grant patterns: tcp and udp entries need a port; bind entries name an address', () => {
  assert.throws(() => OutboundPolicy.fromPatterns(['tcp://db.example.com']), /needs a port/);
  assert.equal(bindAddressProblem('tcp://127.0.0.1:*'), undefined);
  assert.equal(bindAddressProblem('udp://[::1]:5000-5010'), undefined);
  assert.match(bindAddressProblem('tcp://example.com:80') ?? '', /IP address/);
  assert.match(bindAddressProblem('http://127.0.0.1:80') ?? '', /tcp, udp or \*/);
  assert.match(bindAddressProblem('tcp://127.0.0.1') ?? '', /port/);
});

test('a granted TCP connect: send streams the bytes and a FIN, receive streams the echo', async () => {
  const { server, port } = await echoServer();
  const { TcpSocket, stop } = host([`tcp://127.0.0.1:${port}`]);
  try {
    const socket = TcpSocket.create('ipv4');
    await socket.connect(v4(port));
    assert.deepEqual(socket.getRemoteAddress(), v4(port));
    assert.equal(socket.getLocalAddress().tag, 'ipv4');
    const [received, receiveDone] = socket.receive();
    const sent = socket.send(bytesStream('hello ', 'sockets'));
    assert.deepEqual(await outcome(sent), { tag: 'ok' });
    assert.equal(await readAll(received), 'hello sockets');
    assert.deepEqual(await outcome(receiveDone), { tag: 'ok' });
    // Each may be called once.
    assert.deepEqual(await outcome(socket.send(bytesStream('x'))), {
      tag: 'err',
      val: { tag: 'invalid-state' },
    });
    assert.equal(await errorTag(() => socket.connect(v4(port))), 'invalid-state');
    socket[Symbol.dispose]();
  } finally {
    stop();
    server.close();
  }
});

test('a granted listen hands out accepted sockets that echo', async () => {
  const { TcpSocket, stop } = host([], ['tcp://127.0.0.1:*']);
  try {
    const listener = TcpSocket.create('ipv4');
    listener.bind(v4(0));
    const local = listener.getLocalAddress();
    assert.equal(local.tag, 'ipv4');
    const port = local.val.port;
    assert.notEqual(port, 0);
    const accepted = new StreamReader(listener.listen());
    assert.equal(listener.getIsListening(), true);
    assert.equal(await errorTag(() => listener.listen()), 'invalid-state');
    const client = netConnect(port, '127.0.0.1');
    const [served] = (await accepted.read()) as [ReturnType<typeof TcpSocket.create>];
    const [incoming] = served.receive();
    client.end('ping');
    assert.equal(await readAll(incoming), 'ping');
    const reply = new Promise<string>((resolve) => {
      let text = '';
      client.on('data', (d) => {
        text += d;
      });
      client.on('end', () => resolve(text));
    });
    assert.deepEqual(await outcome(served.send(bytesStream('pong'))), { tag: 'ok' });
    assert.equal(await reply, 'pong');
    client.destroy();
    accepted.close();
  } finally {
    stop();
  }
});

test('UDP: a datagram arrives with its sender address', async () => {
  const { UdpSocket, stop } = host(['udp://127.0.0.1:*'], ['udp://127.0.0.1:*']);
  try {
    const server = UdpSocket.create('ipv4');
    server.bind(v4(0));
    const client = UdpSocket.create('ipv4');
    assert.equal(await errorTag(() => client.receive()), 'invalid-state'); // not bound yet
    const serverAddress = server.getLocalAddress();
    client.connect(serverAddress);
    assert.deepEqual(client.getRemoteAddress(), serverAddress);
    const received = server.receive();
    await client.send(new Uint8Array([1, 2, 3, 4]), undefined);
    const [data, from] = await received;
    assert.deepEqual([...data], [1, 2, 3, 4]);
    assert.deepEqual(from, client.getLocalAddress());
    // Unconnected: needs an address; connected: only its own.
    assert.equal(await errorTag(() => server.send(new Uint8Array([1]), undefined)), 'invalid-argument');
    assert.equal(await errorTag(() => client.send(new Uint8Array([1]), v4(9))), 'invalid-argument');
    assert.equal(await errorTag(() => client.send(new Uint8Array(65536), undefined)), 'datagram-too-large');
    client.disconnect();
    assert.equal(await errorTag(() => client.disconnect()), 'invalid-state');
  } finally {
    stop();
  }
});

test('UDP: a datagram from a Node peer, and one back', async () => {
  const { UdpSocket, stop } = host(['udp://127.0.0.1:*'], ['udp://127.0.0.1:*']);
  const peer = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    const peerPort = peer.address().port;
    const socket = UdpSocket.create('ipv4');
    socket.bind(v4(0));
    const port = (socket.getLocalAddress().val as { port: number }).port;
    const back = new Promise<Buffer>((resolve) => peer.once('message', resolve));
    await socket.send(new TextEncoder().encode('to peer'), v4(peerPort));
    assert.equal(String(await back), 'to peer');
    peer.send('to guest', port, '127.0.0.1');
    const [data, from] = await socket.receive();
    assert.equal(new TextDecoder().decode(data), 'to guest');
    assert.deepEqual(from, v4(peerPort));
  } finally {
    peer.close();
    stop();
  }
});

test('errors: refused, in use, wrong family, unspecified or port 0, non-unicast, IPv4-mapped', async () => {
  const { TcpSocket, UdpSocket, stop } = host(
    ['tcp://127.0.0.1:*'],
    ['tcp://127.0.0.1:*', 'udp://127.0.0.1:*'],
  );
  try {
    // A port nothing listens on (bound, then closed).
    const probe = TcpSocket.create('ipv4');
    probe.bind(v4(0));
    const closedPort = (probe.getLocalAddress().val as { port: number }).port;
    probe[Symbol.dispose]();
    const refused = TcpSocket.create('ipv4');
    assert.equal(await errorTag(() => refused.connect(v4(closedPort))), 'connection-refused');
    assert.equal(await errorTag(() => refused.connect(v4(closedPort))), 'invalid-state'); // closed now

    const listener = TcpSocket.create('ipv4');
    listener.bind(v4(0));
    listener.listen();
    assert.equal(
      await errorTag(() => TcpSocket.create('ipv4').bind(listener.getLocalAddress())),
      'address-in-use',
    );
    const udp = UdpSocket.create('ipv4');
    udp.bind(v4(0));
    assert.equal(
      await errorTag(() => UdpSocket.create('ipv4').bind(udp.getLocalAddress())),
      'address-in-use',
    );

    const v6 = TcpSocket.create('ipv6');
    assert.equal(await errorTag(() => v6.bind(v4(0))), 'invalid-argument');
    const mapped: IpSocketAddress = {
      tag: 'ipv6',
      val: { port: 0, flowInfo: 0, address: [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1], scopeId: 0 },
    };
    assert.equal(await errorTag(() => v6.bind(mapped)), 'invalid-argument');
    assert.equal(
      await errorTag(() => TcpSocket.create('ipv4').bind(v4(0, [224, 0, 0, 1]))),
      'invalid-argument',
    );
    assert.equal(await errorTag(() => TcpSocket.create('ipv4').connect(v4(0))), 'invalid-argument');
    assert.equal(
      await errorTag(() => TcpSocket.create('ipv4').connect(v4(80, [0, 0, 0, 0]))),
      'invalid-argument',
    );
    assert.equal(await errorTag(() => TcpSocket.create('ipv4').getLocalAddress()), 'invalid-state');
    assert.equal(await errorTag(() => TcpSocket.create('ipv4').setHopLimit(0)), 'invalid-argument');
    assert.equal(await errorTag(() => TcpSocket.create('bogus' as 'ipv4')), 'not-supported');
  } finally {
    stop();
  }
});

test('libuv error numbers map to the WIT error codes', () => {
  const cases: Array<[string, string]> = [
    ['EACCES', 'access-denied'],
    ['EPERM', 'access-denied'],
    ['EADDRINUSE', 'address-in-use'],
    ['EADDRNOTAVAIL', 'address-not-bindable'],
    ['ECONNREFUSED', 'connection-refused'],
    ['ECONNRESET', 'connection-reset'],
    ['ECONNABORTED', 'connection-aborted'],
    ['EPIPE', 'connection-broken'],
    ['ETIMEDOUT', 'timeout'],
    ['EHOSTUNREACH', 'remote-unreachable'],
    ['ENETUNREACH', 'remote-unreachable'],
    ['EMSGSIZE', 'datagram-too-large'],
    ['EAFNOSUPPORT', 'invalid-argument'],
    ['ENOBUFS', 'out-of-memory'],
    ['EOPNOTSUPP', 'not-supported'],
  ];
  for (const [name, tag] of cases) assert.equal(errorCodeOf(name).tag, tag, name);
  assert.deepEqual(errorCodeOf('EWHATEVER'), { tag: 'other', val: 'EWHATEVER' });
  assert.equal(errorCodeOf(-98).tag, 'address-in-use'); // a raw libuv number (Linux EADDRINUSE)
});

test('name lookup: an IP literal as itself; a name only when a tcp/udp grant names it', async () => {
  const { lookup, logged } = host(['tcp://localhost:5432']);
  assert.deepEqual(await lookup.resolveAddresses('10.1.2.3'), [{ tag: 'ipv4', val: [10, 1, 2, 3] }]);
  assert.deepEqual(await lookup.resolveAddresses('::1'), [{ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 1] }]);
  assert.equal(await errorTag(() => lookup.resolveAddresses('example.com')), 'access-denied');
  assert.match(logged.at(-1) ?? '', /example\.com/);
  const found = await lookup.resolveAddresses('localhost');
  assert.ok(found.length > 0);
});

test('the instance stopping or resetting closes what its guest opened', async () => {
  const open = new SocketSet();
  const stopped = new AbortController();
  const net = socketsImportsP3(OutboundPolicy.deny(), ['tcp://127.0.0.1:*'], () => {}, stopped.signal, open);
  const listener = net.types.TcpSocket.create('ipv4');
  listener.bind(v4(0));
  const port = (listener.getLocalAddress().val as { port: number }).port;
  listener.listen();
  open.closeAll(); // what a reset does
  const refused = await new Promise<string>((resolve) => {
    const probe = netConnect(port, '127.0.0.1');
    probe.on('connect', () => {
      probe.destroy();
      resolve('connected');
    });
    probe.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED');
  assert.equal(await errorTag(() => listener.getLocalAddress()), 'invalid-state');
  stopped.abort();
});
