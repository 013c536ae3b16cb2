/**
 * What each wasi:sockets test is granted (Skiff grants no socket by default): the loopback
 * addresses it binds and connects to, the unspecified address where it binds or listens without an
 * address, and the RFC 5737 / RFC 3849 documentation addresses where it checks that binding a
 * foreign address is `address-not-bindable` (not `access-denied`). The specs do not say; these
 * are read from the tests' sources.
 */
const loopback = (scheme: 'tcp' | 'udp') => [`${scheme}://127.0.0.1:*`, `${scheme}://[::1]:*`];
const unspecified = (scheme: 'tcp' | 'udp') => [`${scheme}://0.0.0.0:*`, `${scheme}://[::]:*`];
const documentation = (scheme: 'tcp' | 'udp') =>
  ['192.0.2.1', '198.51.100.1', '203.0.113.1', '[2001:db8::1]'].map((ip) => `${scheme}://${ip}:*`);

interface SocketGrant {
  bind?: string[];
  outbound?: string[];
}

const GRANTS: Record<string, SocketGrant> = {
  'sockets-echo': { bind: loopback('tcp') },
  'sockets-tcp-bind': { bind: [...loopback('tcp'), ...documentation('tcp')], outbound: loopback('tcp') },
  'sockets-tcp-connect': { bind: loopback('tcp'), outbound: loopback('tcp') },
  'sockets-tcp-listen': { bind: [...loopback('tcp'), ...unspecified('tcp')], outbound: loopback('tcp') },
  'sockets-tcp-properties': {},
  'sockets-tcp-receive': { bind: loopback('tcp'), outbound: loopback('tcp') },
  'sockets-tcp-send': { bind: loopback('tcp'), outbound: loopback('tcp') },
  'sockets-udp-bind': { bind: [...loopback('udp'), ...unspecified('udp'), ...documentation('udp')] },
  'sockets-udp-connect': { bind: loopback('udp'), outbound: loopback('udp') },
  'sockets-udp-properties': {},
  'sockets-udp-receive': { bind: loopback('udp'), outbound: loopback('udp') },
  'sockets-udp-send': { outbound: loopback('udp') },
};

/** The `--allow-bind` and `--allow-outbound` flags for one test (none for a test that is not listed). */
export function socketGrantFlags(testName: string): string[] {
  const grant = GRANTS[testName] ?? {};
  return [
    ...(grant.bind ?? []).flatMap((entry) => ['--allow-bind', entry]),
    ...(grant.outbound ?? []).flatMap((entry) => ['--allow-outbound', entry]),
  ];
}
