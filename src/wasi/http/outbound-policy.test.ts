import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutboundPolicy, parseOutboundPattern } from './outbound-policy.ts';

test('nothing is allowed by default', () => {
  assert.equal(OutboundPolicy.deny().allows('https', 'example.com', 443), false);
});

const CASES: Array<{ pattern: string; scheme: string; host: string; port: number; allowed: boolean }> = [
  { pattern: 'https://example.com', scheme: 'https', host: 'example.com', port: 443, allowed: true },
  { pattern: 'https://example.com', scheme: 'https', host: 'example.com', port: 8443, allowed: false },
  { pattern: 'https://example.com', scheme: 'http', host: 'example.com', port: 80, allowed: false },
  { pattern: 'https://example.com:443', scheme: 'https', host: 'EXAMPLE.com', port: 443, allowed: true },
  { pattern: 'http://127.0.0.1:*', scheme: 'http', host: '127.0.0.1', port: 4123, allowed: true },
  { pattern: 'http://127.0.0.1:*', scheme: 'http', host: '127.0.0.2', port: 4123, allowed: false },
  { pattern: '*://localhost:3000-3010', scheme: 'https', host: 'localhost', port: 3005, allowed: true },
  { pattern: '*://localhost:3000-3010', scheme: 'http', host: 'localhost', port: 3011, allowed: false },
  { pattern: 'https://*.example.com', scheme: 'https', host: 'api.example.com', port: 443, allowed: true },
  { pattern: 'https://*.example.com', scheme: 'https', host: 'example.com', port: 443, allowed: false },
  { pattern: 'https://*.example.com', scheme: 'https', host: 'evilexample.com', port: 443, allowed: false },
  { pattern: 'http://[::1]:8080', scheme: 'http', host: '[::1]', port: 8080, allowed: true },
];

for (const c of CASES) {
  test(`${c.pattern} ${c.allowed ? 'allows' : 'denies'} ${c.scheme}://${c.host}:${c.port}`, () => {
    assert.equal(OutboundPolicy.fromPatterns([c.pattern]).allows(c.scheme, c.host, c.port), c.allowed);
  });
}

for (const bad of [
  'example.com',
  'ftp://example.com',
  'https://example.com/path',
  'https://ex*ample.com',
  'https://a.com:99999',
]) {
  test(`"${bad}" is rejected with a reason`, () => {
    assert.equal(typeof parseOutboundPattern(bad), 'string');
    assert.throws(() => OutboundPolicy.fromPatterns([bad]), /allowed outbound host/);
  });
}

test('internal addresses need a grant that names them; wildcards and names do not reach them', () => {
  const wildcard = OutboundPolicy.fromPatterns(['http://*:*']);
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
  ]) {
    assert.equal(wildcard.allowsAddress('http', 'anything', 80, address), false, address);
  }
  for (const address of ['93.184.216.34', '2606:2800:220:1::1', '172.32.0.1', '11.0.0.1']) {
    assert.equal(wildcard.allowsAddress('http', 'anything', 80, address), true, address);
  }
  const byName = OutboundPolicy.fromPatterns(['http://internal.example:*']);
  assert.equal(
    byName.allowsAddress('http', 'internal.example', 80, '10.0.0.5'),
    false,
    'a name never leads inside',
  );
  const byAddress = OutboundPolicy.fromPatterns(['http://10.0.0.5:8080', 'http://localhost:*']);
  assert.equal(byAddress.allowsAddress('http', '10.0.0.5', 8080, '10.0.0.5'), true);
  assert.equal(byAddress.allowsAddress('http', '10.0.0.5', 8081, '10.0.0.5'), false, 'the grant is per port');
  assert.equal(
    byAddress.allowsAddress('http', 'localhost', 3000, '127.0.0.1'),
    true,
    'localhost may be loopback',
  );
  assert.equal(byAddress.allowsAddress('http', 'localhost', 3000, '10.0.0.5'), false, 'but nothing else');
});
