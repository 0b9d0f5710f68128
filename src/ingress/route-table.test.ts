import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import { servedIngresses } from './ingress-class.js';
import { requestHost } from './host-match.js';
import { routeKey } from '../network/index.js';
import { buildRouteTable, matchRoute, type RouteTable } from './route-table.js';
import { routerRules } from './router-rules.js';

function ing(
  name: string,
  spec: NonNullable<Ingress['spec']>,
  extra: { created?: string; notes?: Record<string, string> } = {},
): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
      ...(extra.notes ? { annotations: extra.notes } : {}),
    },
    spec,
  };
}

const svc = (name: string, port: number | string) => ({
  service: { name, port: typeof port === 'number' ? { number: port } : { name: port } },
});

function target(table: ReturnType<typeof buildRouteTable>, host: string | undefined, path: string) {
  return matchRoute(table, host, path)?.backend.key;
}

describe('ingress routing', () => {
  const table = buildRouteTable([
    ing('shop', {
      tls: [{ hosts: ['shop.example'], secretName: 'shop-tls' }],
      rules: [
        {
          host: 'shop.example',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: svc('web', 80) },
              { path: '/api', pathType: 'Prefix', backend: svc('api', 'http') },
              { path: '/api/v2/', pathType: 'Prefix', backend: svc('api2', 80) },
              { path: '/login', pathType: 'Exact', backend: svc('auth', 80) },
              { path: '/misc', pathType: 'ImplementationSpecific', backend: svc('misc', 80) },
            ],
          },
        },
        {
          host: '*.blog.example',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc('blog', 80) }] },
        },
        { http: { paths: [{ path: '/any', pathType: 'Prefix', backend: svc('any', 80) }] } },
      ],
    }),
  ]);

  it('matches Prefix element by element, longest first, Exact only exactly', () => {
    assert.equal(target(table, 'shop.example', '/'), 'default/web:80');
    assert.equal(target(table, 'shop.example', '/api'), 'default/api:http');
    assert.equal(target(table, 'shop.example', '/api/'), 'default/api:http');
    assert.equal(target(table, 'shop.example', '/api/v1/x'), 'default/api:http');
    assert.equal(target(table, 'shop.example', '/apix'), 'default/web:80');
    assert.equal(target(table, 'shop.example', '/api/v2'), 'default/api2:80');
    assert.equal(target(table, 'shop.example', '/login'), 'default/auth:80');
    assert.equal(target(table, 'shop.example', '/login/'), 'default/web:80');
    assert.equal(target(table, 'shop.example', '/misc/a'), 'default/misc:80');
  });

  it('matches one label of a wildcard host, then rules without host, else nothing', () => {
    assert.equal(target(table, 'a.blog.example', '/x'), 'default/blog:80');
    assert.equal(target(table, 'b.a.blog.example', '/x'), undefined);
    assert.equal(target(table, 'blog.example', '/any/1'), 'default/any:80');
    assert.equal(target(table, undefined, '/any'), 'default/any:80');
    assert.equal(target(table, 'other.example', '/'), undefined);
  });

  it('redirects hosts with TLS unless ssl-redirect is "false"; force-ssl-redirect redirects any', () => {
    assert.equal(matchRoute(table, 'shop.example', '/')?.redirect, true);
    assert.equal(matchRoute(table, 'a.blog.example', '/')?.redirect, false);
    assert.deepEqual(table.tls.get('shop.example'), { namespace: 'default', secretName: 'shop-tls' });
    const off = buildRouteTable([
      ing(
        'x',
        {
          tls: [{ hosts: ['a.example'] }],
          rules: [
            {
              host: 'a.example',
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc('a', 80) }] },
            },
          ],
        },
        { notes: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' } },
      ),
      ing(
        'y',
        {
          rules: [
            {
              host: 'b.example',
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc('b', 80) }] },
            },
          ],
        },
        { notes: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' } },
      ),
    ]);
    assert.equal(matchRoute(off, 'a.example', '/')?.redirect, false);
    assert.equal(matchRoute(off, 'b.example', '/')?.redirect, true);
  });

  it('merges Ingresses; the oldest wins a duplicate path and gives the default backend', () => {
    const rule = (backend: string) => ({
      host: 'h.example',
      http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc(backend, 80) }] },
    });
    const merged = buildRouteTable([
      ing(
        'new',
        { defaultBackend: svc('new-default', 80), rules: [rule('new')] },
        { created: '2026-02-01T00:00:00Z' },
      ),
      ing(
        'old',
        { defaultBackend: svc('old-default', 80), rules: [rule('old')] },
        { created: '2026-01-01T00:00:00Z' },
      ),
    ]);
    assert.equal(target(merged, 'h.example', '/a'), 'default/old:80');
    assert.equal(target(merged, 'x.example', '/a'), 'default/old-default:80');
    assert.equal(merged.warnings.length, 1);
    assert.match(
      merged.warnings[0] ?? '',
      /default\/new: h\.example\/ \(Prefix\) is served by an older Ingress/,
    );
  });

  it('routes as the first-match rule list of the haproxy router, whose keys are host/path regexes', () => {
    const withDefault = buildRouteTable([
      ing('d', {
        defaultBackend: svc('fallback', 80),
        tls: [{ hosts: ['*.wild.example'] }],
        rules: [
          {
            host: '*.wild.example',
            http: { paths: [{ path: '/a/b', pathType: 'Exact', backend: svc('w', 80) }] },
          },
          {
            host: 'x.wild.example',
            http: { paths: [{ path: '/a/', pathType: 'Prefix', backend: svc('x', 80) }] },
          },
        ],
      }),
    ]);
    const viaRules = (t: RouteTable, host: string | undefined, path: string): string | undefined => {
      const key = `${host ?? ''}${path}`;
      const rule = routerRules(t, (r) => r.backend.key).find((r) => new RegExp(routeKey(r)).test(key));
      return rule?.listener === undefined ? undefined : `${rule.listener}${rule.redirect ? ' R' : ''}`;
    };
    const direct = (t: RouteTable, host: string | undefined, path: string): string | undefined => {
      const r = matchRoute(t, host, path);
      return r === undefined ? undefined : `${r.backend.key}${r.redirect ? ' R' : ''}`;
    };
    const hosts = [
      undefined,
      'shop.example',
      'a.blog.example',
      'b.a.blog.example',
      'blog.example',
      'other.example',
      'x.wild.example',
      'y.wild.example',
      'wild.example',
    ];
    const paths = [
      '/',
      '/api',
      '/api/',
      '/api//v2/x',
      '/apix',
      '/api/v2',
      '/login',
      '/login/',
      '/misc/a',
      '/any',
      '/any/1',
      '/a/b',
      '/a/b/',
      '/a',
      '/x',
      '/a.b',
      '/api/v2x',
    ];
    for (const t of [table, withDefault]) {
      for (const host of hosts) {
        for (const path of paths)
          assert.equal(viaRules(t, host, path), direct(t, host, path), `${host}${path}`);
      }
    }
  });

  it('reads the request host without port, case or trailing dot', () => {
    assert.equal(requestHost('Shop.Example:8443'), 'shop.example');
    assert.equal(requestHost('shop.example.'), 'shop.example');
    assert.equal(requestHost('[::1]:80'), '::1');
    assert.equal(requestHost(''), undefined);
  });
});

describe('ingress classes', () => {
  const cls = (name: string, controller: string, isDefault = false): IngressClass => ({
    metadata: {
      name,
      ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    spec: { controller },
  });
  const named = (name: string, className?: string, legacy?: string): Ingress =>
    ing(
      name,
      className === undefined ? {} : { ingressClassName: className },
      legacy ? { notes: { 'kubernetes.io/ingress.class': legacy } } : {},
    );
  const all = [named('a', 'stratus'), named('b', 'nginx'), named('c'), named('d', undefined, 'stratus')];
  const names = (list: Ingress[]) => list.map((i) => i.metadata?.name);

  it('serves the Ingresses of its classes, and those without a class when its class is the default', () => {
    assert.deepEqual(
      names(
        servedIngresses(
          [cls('stratus', 'stratus.dev/ingress-controller'), cls('nginx', 'k8s.io/ingress-nginx')],
          all,
        ),
      ),
      ['a', 'd'],
    );
    assert.deepEqual(names(servedIngresses([cls('stratus', 'stratus.dev/ingress-controller', true)], all)), [
      'a',
      'c',
      'd',
    ]);
    assert.deepEqual(names(servedIngresses([cls('nginx', 'k8s.io/ingress-nginx', true)], all)), []);
  });
});
