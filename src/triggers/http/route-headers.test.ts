import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRouteHeaderName, ROUTE_HEADER_PREFIXES, routeHeaders } from './route-headers.ts';
import { RouteTable } from './router.ts';

const routes = RouteTable.fromSpecs(
  (
    [
      ['/cart', 'cart'],
      ['/users/:user_id/posts/:postId', 'post'],
      ['/static/...', 'static'],
    ] as const
  ).map(([route, component]) => ({ type: 'http' as const, route, component, where: undefined })),
);

function headersFor(path: string, fullUrl: string, clientAddr = '127.0.0.1:51000'): Array<[string, string]> {
  const m = routes.match(path);
  assert.ok(m, `no route for ${path}`);
  return routeHeaders(m, { fullUrl, clientAddr });
}

describe('routeHeaders', () => {
  test('exact route: skiff headers, then the same values under spin-', () => {
    assert.deepEqual(headersFor('/cart/', 'http://localhost:3000/cart/?x=1'), [
      ['skiff-matched-route', '/cart'],
      ['skiff-path-info', ''],
      ['skiff-full-url', 'http://localhost:3000/cart/?x=1'],
      ['skiff-client-addr', '127.0.0.1:51000'],
      ['spin-matched-route', '/cart'],
      ['spin-path-info', ''],
      ['spin-full-url', 'http://localhost:3000/cart/?x=1'],
      ['spin-client-addr', '127.0.0.1:51000'],
    ]);
  });

  test('params: one path-match header each, named the Spin way, value as sent', () => {
    assert.deepEqual(headersFor('/users/ada%20l/posts/7', 'http://h/users/ada%20l/posts/7', '[::1]:5000'), [
      ['skiff-matched-route', '/users/:user_id/posts/:postId'],
      ['skiff-path-info', ''],
      ['skiff-path-match-user-id', 'ada%20l'],
      ['skiff-path-match-postid', '7'],
      ['skiff-full-url', 'http://h/users/ada%20l/posts/7'],
      ['skiff-client-addr', '[::1]:5000'],
      ['spin-matched-route', '/users/:user_id/posts/:postId'],
      ['spin-path-info', ''],
      ['spin-path-match-user-id', 'ada%20l'],
      ['spin-path-match-postid', '7'],
      ['spin-full-url', 'http://h/users/ada%20l/posts/7'],
      ['spin-client-addr', '[::1]:5000'],
    ]);
  });

  test('a decoded CR/LF never reaches a header value', () => {
    const headers = headersFor('/users/a%0D%0Ab/posts/1', 'http://h/users/a%0D%0Ab/posts/1');
    assert.deepEqual(
      headers.filter(([name]) => name.endsWith('path-match-user-id')),
      [
        ['skiff-path-match-user-id', 'a%0D%0Ab'],
        ['spin-path-match-user-id', 'a%0D%0Ab'],
      ],
    );
  });

  test('wildcard route: path info is the rest of the path', () => {
    const rows: Array<[string, string]> = [
      ['/static', ''],
      ['/static/', '/'],
      ['/static/css/site.css', '/css/site.css'],
    ];
    for (const [path, pathInfo] of rows) {
      const headers = new Map(headersFor(path, `http://h${path}`));
      assert.equal(headers.get('skiff-matched-route'), '/static/...', path);
      assert.equal(headers.get('skiff-path-info'), pathInfo, path);
      assert.equal(headers.get('spin-path-info'), pathInfo, path);
    }
  });

  test('every header carries one of ROUTE_HEADER_PREFIXES, in lowercase', () => {
    for (const [name] of headersFor('/users/a/posts/b', 'http://h/users/a/posts/b')) {
      assert.equal(name, name.toLowerCase());
      assert.ok(isRouteHeaderName(name), name);
    }
  });
});

describe('ROUTE_HEADER_PREFIXES', () => {
  test('lists the skiff and spin prefixes', () => {
    assert.deepEqual(ROUTE_HEADER_PREFIXES, ['skiff-', 'spin-']);
  });

  test('isRouteHeaderName ignores case and needs the whole prefix', () => {
    const rows: Array<[string, boolean]> = [
      ['skiff-path-info', true],
      ['Spin-Full-Url', true],
      ['SKIFF-MATCHED-ROUTE', true],
      ['spin-anything', true],
      ['spinner', false],
      ['skiff', false],
      ['x-skiff-path-info', false],
      ['content-type', false],
    ];
    for (const [name, expected] of rows) {
      assert.equal(isRouteHeaderName(name), expected, name);
    }
  });
});
