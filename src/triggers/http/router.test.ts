import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HttpRouteSpec } from '../../manifest/app.ts';
import { type RouteMatch, RouteTable } from './router.ts';

/** Specs for `[route, component]` pairs, each on its own manifest line starting at 10. */
function specs(routes: Array<[string, string]>): HttpRouteSpec[] {
  return routes.map(([route, component], i) => ({
    type: 'http',
    route,
    component,
    where: { file: 'skiff.toml', line: 10 + i },
  }));
}

function table(routes: Array<[string, string]>): RouteTable {
  return RouteTable.fromSpecs(specs(routes));
}

/** `[path, component | undefined]` rows: which component handles each path (undefined: 404). */
function assertComponents(t: RouteTable, rows: Array<[string, string | undefined]>): void {
  for (const [path, expected] of rows) {
    assert.equal(t.match(path)?.component, expected, `path ${path}`);
  }
}

describe('RouteTable.match', () => {
  test('exact route matches only its own path', () => {
    const t = table([['/cart', 'cart']]);
    assertComponents(t, [
      ['/cart', 'cart'],
      ['/', undefined],
      ['/car', undefined],
      ['/carts', undefined],
      ['/cart/x', undefined],
      ['/Cart', undefined],
      ['cart', undefined],
    ]);
  });

  test('root exact route matches only /', () => {
    const t = table([['/', 'home']]);
    assertComponents(t, [
      ['/', 'home'],
      ['/x', undefined],
    ]);
  });

  test('one trailing slash is tolerated', () => {
    const t = table([
      ['/cart', 'cart'],
      ['/users/:id', 'user'],
      ['/static/...', 'static'],
    ]);
    assertComponents(t, [
      ['/cart/', 'cart'],
      ['/cart//', undefined],
      ['/users/7/', 'user'],
      ['/static/', 'static'],
    ]);
    assert.deepEqual(t.match('/cart/'), {
      component: 'cart',
      route: '/cart',
      pathInfo: '',
      params: {},
      rawParams: {},
    });
  });

  test('a route written with a trailing slash is the same route', () => {
    const t = table([['/cart/', 'cart']]);
    assert.deepEqual(t.routes(), [{ route: '/cart', component: 'cart' }]);
    assertComponents(t, [
      ['/cart', 'cart'],
      ['/cart/', 'cart'],
    ]);
  });

  test(':name matches exactly one non-empty segment', () => {
    const t = table([['/users/:id', 'user']]);
    assertComponents(t, [
      ['/users/42', 'user'],
      ['/users/', undefined],
      ['/users', undefined],
      ['/users/42/posts', undefined],
      ['/users//', undefined],
    ]);
    assert.deepEqual(t.match('/users/42'), {
      component: 'user',
      route: '/users/:id',
      pathInfo: '',
      params: { id: '42' },
      rawParams: { id: '42' },
    });
  });

  test('several params are captured by name', () => {
    const t = table([['/users/:user_id/posts/:post', 'post']]);
    const m = t.match('/users/ada/posts/first');
    assert.deepEqual(m?.params, { user_id: 'ada', post: 'first' });
  });

  test('wildcard matches its prefix and anything below it', () => {
    const t = table([['/static/...', 'static']]);
    assertComponents(t, [
      ['/static', 'static'],
      ['/static/', 'static'],
      ['/static/a', 'static'],
      ['/static/a/b/c.css', 'static'],
      ['/static//x', 'static'],
      ['/', undefined],
      ['/stat', undefined],
    ]);
  });

  test('wildcard does not bleed into a longer segment', () => {
    const t = table([
      ['/static/...', 'static'],
      ['/api/v1/...', 'api'],
    ]);
    assertComponents(t, [
      ['/staticfoo', undefined],
      ['/staticfoo/a', undefined],
      ['/static.css', undefined],
      ['/api/v10', undefined],
      ['/api/v1', 'api'],
    ]);
  });

  test('root wildcard matches everything', () => {
    const t = table([['/...', 'all']]);
    assertComponents(t, [
      ['/', 'all'],
      ['/a', 'all'],
      ['/a/b/c/', 'all'],
      ['//', 'all'],
      ['/.well-known/other', 'all'],
    ]);
  });

  test('wildcard after a param', () => {
    const t = table([['/repos/:owner/...', 'repo']]);
    assert.deepEqual(t.match('/repos/ada/src/main.ts'), {
      component: 'repo',
      route: '/repos/:owner/...',
      pathInfo: '/src/main.ts',
      params: { owner: 'ada' },
      rawParams: { owner: 'ada' },
    });
    assert.equal(t.match('/repos/')?.component, undefined);
  });

  test('exact beats wildcard for the same path', () => {
    const t = table([
      ['/static/...', 'files'],
      ['/static', 'index'],
      ['/...', 'fallback'],
      ['/:page', 'page'],
      ['/users/me/...', 'me-tree'],
      ['/users/:id', 'user'],
    ]);
    assertComponents(t, [
      ['/static', 'index'],
      ['/static/', 'index'],
      ['/static/a', 'files'],
      ['/about', 'page'],
      ['/', 'fallback'],
      // A param route still counts as exact: it beats a wildcard with more literals.
      ['/users/me', 'user'],
      ['/users/me/x', 'me-tree'],
    ]);
  });

  test('the most specific route wins', () => {
    const t = table([
      ['/...', 'root'],
      ['/a/...', 'a'],
      ['/a/b/...', 'ab'],
      ['/a/:x/...', 'a-x'],
      ['/a/:x/:y/...', 'a-x-y'],
      ['/:p/b/c', 'p-b-c'],
      ['/a/:x/:y', 'a-x-y-exact'],
    ]);
    assertComponents(t, [
      ['/z', 'root'],
      ['/a', 'a'],
      ['/a/q', 'a-x'],
      ['/a/b', 'ab'],
      // More literal segments beat more segments.
      ['/a/b/q/r', 'ab'],
      // More segments break a tie in literal count.
      ['/a/q/r/s', 'a-x-y'],
      // Literal count comes before position: two literals beat a leading literal.
      ['/a/b/c', 'p-b-c'],
      ['/a/q/c', 'a-x-y-exact'],
    ]);
  });

  test('a literal segment beats a param at the same position', () => {
    const t = table([
      ['/users/:id', 'user'],
      ['/users/me', 'me'],
      ['/:section/:id', 'any'],
      ['/a/:x', 'a-x'],
      ['/:y/b', 'y-b'],
      ['/files/:name/...', 'named-files'],
      ['/files/readme/...', 'readme'],
    ]);
    assertComponents(t, [
      ['/users/me', 'me'],
      ['/users/you', 'user'],
      ['/posts/1', 'any'],
      // Same literal count and length: the leftmost literal decides.
      ['/a/b', 'a-x'],
      ['/c/b', 'y-b'],
      ['/files/readme/x', 'readme'],
      ['/files/other/x', 'named-files'],
    ]);
  });

  test('precedence does not depend on manifest order', () => {
    const routes: Array<[string, string]> = [
      ['/...', 'root'],
      ['/users/:id', 'user'],
      ['/users/me', 'me'],
      ['/users/...', 'users'],
    ];
    for (const order of [routes, [...routes].reverse()]) {
      assertComponents(table(order), [
        ['/users/me', 'me'],
        ['/users/1', 'user'],
        ['/users', 'users'],
        ['/users/1/x', 'users'],
        ['/x', 'root'],
      ]);
    }
  });

  test('pathInfo is the raw rest after a wildcard prefix, and empty otherwise', () => {
    const t = table([
      ['/static/...', 'static'],
      ['/...', 'root'],
      ['/cart', 'cart'],
      ['/users/:id', 'user'],
    ]);
    const rows: Array<[string, string]> = [
      ['/static', ''],
      ['/static/', '/'],
      ['/static/a', '/a'],
      ['/static/a/', '/a/'],
      ['/static/a/b.css', '/a/b.css'],
      ['/static/a%2Fb', '/a%2Fb'],
      ['/static//x', '//x'],
      ['/', '/'],
      ['/other', '/other'],
      ['/other/x/', '/other/x/'],
      ['/cart', ''],
      ['/cart/', ''],
      ['/users/1', ''],
    ];
    for (const [path, pathInfo] of rows) {
      assert.equal(t.match(path)?.pathInfo, pathInfo, `path ${path}`);
    }
  });

  test('params are percent-decoded; segments are matched raw', () => {
    const t = table([
      ['/users/:id', 'user'],
      ['/cart', 'cart'],
    ]);
    const rows: Array<[string, string, string]> = [
      ['/users/ada%20lovelace', 'ada lovelace', 'ada%20lovelace'],
      ['/users/caf%C3%A9', 'café', 'caf%C3%A9'],
      ['/users/a%2Fb', 'a/b', 'a%2Fb'],
      ['/users/a+b', 'a+b', 'a+b'],
      ['/users/%25', '%', '%25'],
    ];
    for (const [path, decoded, raw] of rows) {
      const m = t.match(path);
      assert.equal(m?.params.id, decoded, `path ${path}`);
      assert.equal(m?.rawParams.id, raw, `path ${path}`);
    }
    // An encoded slash stays inside its segment instead of adding one.
    assert.equal(t.match('/users%2F1')?.component, undefined);
    // Literals compare raw: an escaped letter is a different segment.
    assert.equal(t.match('/c%61rt')?.component, undefined);
  });

  test('a param with an invalid escape does not match, so the next route gets it', () => {
    const alone = table([['/users/:id', 'user']]);
    for (const path of ['/users/%zz', '/users/%', '/users/%C3', '/users/%E2%82']) {
      assert.equal(alone.match(path), undefined, `path ${path}`);
    }
    const withFallback = table([
      ['/users/:id', 'user'],
      ['/users/...', 'users'],
    ]);
    assert.deepEqual(withFallback.match('/users/%zz'), {
      component: 'users',
      route: '/users/...',
      pathInfo: '/%zz',
      params: {},
      rawParams: {},
    });
  });

  test('a param named __proto__ is an ordinary key', () => {
    const t = table([['/x/:__proto__', 'x']]);
    const m = t.match('/x/1');
    assert.deepEqual(Object.entries(m?.params ?? {}), [['__proto__', '1']]);
    assert.equal(Object.getPrototypeOf(m?.params), Object.prototype);
  });

  test('an empty table matches nothing', () => {
    assertComponents(table([]), [
      ['/', undefined],
      ['/a', undefined],
    ]);
  });

  test('many routes: each path finds its own route', () => {
    const routes: Array<[string, string]> = [];
    for (let i = 0; i < 500; i++) routes.push([`/svc${i}/items/:id`, `c${i}`]);
    const t = table(routes);
    assert.deepEqual(t.match('/svc321/items/9'), {
      component: 'c321',
      route: '/svc321/items/:id',
      pathInfo: '',
      params: { id: '9' },
      rawParams: { id: '9' },
    } satisfies RouteMatch);
    assert.equal(t.match('/svc500/items/9'), undefined);
  });
});

describe('RouteTable.fromSpecs', () => {
  test('private routes are skipped', () => {
    const t = RouteTable.fromSpecs([
      { type: 'http', route: { private: true }, component: 'worker', where: { file: 'skiff.toml', line: 3 } },
      { type: 'http', route: '/cart', component: 'cart', where: { file: 'skiff.toml', line: 8 } },
      { type: 'http', route: { private: true }, component: 'other', where: undefined },
    ]);
    assert.deepEqual(t.routes(), [{ route: '/cart', component: 'cart' }]);
    assert.equal(t.match('/worker'), undefined);
  });

  test('routes() lists public routes in manifest order, normalized', () => {
    const t = table([
      ['/static/...', 'static'],
      ['/', 'home'],
      ['/users/:id/', 'user'],
      ['/...', 'all'],
    ]);
    assert.deepEqual(t.routes(), [
      { route: '/static/...', component: 'static' },
      { route: '/', component: 'home' },
      { route: '/users/:id', component: 'user' },
      { route: '/...', component: 'all' },
    ]);
  });

  test('duplicate routes are rejected with both locations', () => {
    const rows: Array<[string, string, string]> = [
      [
        '/cart',
        '/cart',
        'skiff.toml:11: route "/cart" (component "b") matches the same paths as route "/cart" (component "a" at skiff.toml:10); remove one of them',
      ],
      [
        '/cart',
        '/cart/',
        'skiff.toml:11: route "/cart/" (component "b") matches the same paths as route "/cart" (component "a" at skiff.toml:10); remove one of them',
      ],
      [
        '/u/:id',
        '/u/:name',
        'skiff.toml:11: route "/u/:name" (component "b") matches the same paths as route "/u/:id" (component "a" at skiff.toml:10); remove one of them',
      ],
      [
        '/static/...',
        '/static/.../',
        'skiff.toml:11: route "/static/.../" (component "b") matches the same paths as route "/static/..." (component "a" at skiff.toml:10); remove one of them',
      ],
    ];
    for (const [first, second, message] of rows) {
      assert.throws(
        () =>
          table([
            [first, 'a'],
            [second, 'b'],
          ]),
        { message },
      );
    }
  });

  test('an exact route and a wildcard with the same prefix are not duplicates', () => {
    const t = table([
      ['/static', 'index'],
      ['/static/...', 'files'],
    ]);
    assert.equal(t.routes().length, 2);
  });

  test('invalid routes are rejected with file:line', () => {
    const rows: Array<[string, string]> = [
      ['cart', 'skiff.toml:10: route "cart" does not start with "/" (component "c"); write it as "/cart"'],
      [
        '/a//b',
        'skiff.toml:10: route "/a//b" has an empty segment ("//") (component "c"); remove the doubled slash',
      ],
      [
        '/a/.../b',
        'skiff.toml:10: route "/a/.../b" uses "..." before the end (component "c"); the wildcard "/..." may only end a route',
      ],
      [
        '/static/*',
        'skiff.toml:10: route "/static/*" uses "*" (component "c"); use "/..." for a trailing wildcard or ":name" for one segment',
      ],
    ];
    for (const [route, message] of rows) {
      assert.throws(() => table([[route, 'c']]), { message });
    }
  });

  test('routes under the reserved prefix are rejected', () => {
    for (const route of ['/.well-known/skiff', '/.well-known/skiff/health', '/.well-known/skiff/...']) {
      assert.throws(() => table([[route, 'c']]), {
        message: `skiff.toml:10: route "${route}" (component "c") is under /.well-known/skiff, which the host reserves; choose another path`,
      });
    }
    assert.equal(table([['/.well-known/skiffy', 'c']]).match('/.well-known/skiffy')?.component, 'c');
  });

  test('errors without a manifest location still name the component', () => {
    assert.throws(
      () =>
        RouteTable.fromSpecs([
          { type: 'http', route: '/a', component: 'x', where: undefined },
          { type: 'http', route: '/a', component: 'y', where: undefined },
        ]),
      {
        message:
          'route "/a" (component "y") matches the same paths as route "/a" (component "x"); remove one of them',
      },
    );
  });
});
