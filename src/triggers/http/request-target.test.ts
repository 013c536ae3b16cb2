import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { requestTarget } from './request-target.ts';

const request = (url: string, rawHeaders: string[], method = 'GET') =>
  ({ url, rawHeaders, method }) as unknown as IncomingMessage;

test('origin form: the path as sent, the authority from Host', () => {
  assert.deepEqual(requestTarget(request('/a/b?x=1', ['Host', 'example.com:8080'])), {
    path: '/a/b',
    pathWithQuery: '/a/b?x=1',
    authority: 'example.com:8080',
  });
  assert.deepEqual(requestTarget(request('/', [])), { path: '/', pathWithQuery: '/', authority: undefined });
});

test('absolute form (RFC 9112 §3.2.2): accepted, and its authority wins over Host', () => {
  assert.deepEqual(requestTarget(request('http://api.test:81/v1/x?q=2', ['Host', 'other.test'])), {
    path: '/v1/x',
    pathWithQuery: '/v1/x?q=2',
    authority: 'api.test:81',
  });
  assert.deepEqual(requestTarget(request('HTTPS://[::1]?q', ['Host', 'x'])), {
    path: '/',
    pathWithQuery: '/?q',
    authority: '[::1]',
  });
});

test('400 for a second Host, an invalid Host, or a target that is neither form', () => {
  const problem = (r: IncomingMessage) => {
    const result = requestTarget(r);
    return 'problem' in result ? result.problem : undefined;
  };
  assert.match(problem(request('/', ['Host', 'a', 'host', 'b'])) ?? '', /2 Host headers/);
  assert.match(problem(request('/', ['Host', 'a b'])) ?? '', /not a valid host/);
  assert.match(problem(request('/', ['Host', 'user@a'])) ?? '', /not a valid host/);
  assert.match(problem(request('ftp://a/b', ['Host', 'a'])) ?? '', /not an http or https URL/);
  assert.match(problem(request('http://user@a/b', ['Host', 'a'])) ?? '', /no valid host/);
  assert.match(problem(request('http:///b', ['Host', 'a'])) ?? '', /no valid host/);
  assert.match(problem(request('foo', ['Host', 'a'])) ?? '', /neither a path/);
  assert.match(problem(request('*', ['Host', 'a'])) ?? '', /neither a path/);
  assert.equal(problem(request('*', ['Host', 'a'], 'OPTIONS')), undefined, 'OPTIONS * is valid');
});
