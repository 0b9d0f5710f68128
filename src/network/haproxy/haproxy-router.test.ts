import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { normalizeConfig } from '../proxy-config.js';
import { renderConfig } from './haproxy-config.js';
import { findHaproxy } from './haproxy-process.js';
import {
  certificateFiles,
  ROUTE_MAP,
  routeEntries,
  routeKey,
  routeMapText,
  type RouterConfig,
} from './haproxy-router.js';
import { SlotTable } from './slot-table.js';

const matches = (key: string, subject: string): boolean => new RegExp(key).test(subject);

describe('haproxy router', () => {
  it('keys match hosts exactly or by one wildcard label, paths by elements, without backslashes', () => {
    const prefix = routeKey({
      host: 'shop.example',
      path: { exact: false, path: '/a.b/c' },
      redirect: false,
    });
    assert.equal(prefix.includes('\\'), false);
    assert.ok(matches(prefix, 'shop.example/a.b/c'));
    assert.ok(matches(prefix, 'shop.example/a.b//c/d'));
    assert.ok(!matches(prefix, 'shop.example/a.b/cd'));
    assert.ok(!matches(prefix, 'shop.example/aXb/c'), 'a dot is literal');
    assert.ok(!matches(prefix, 'shopXexample/a.b/c'));
    const exact = routeKey({ host: '', path: { exact: true, path: '/x;y' }, redirect: false });
    assert.ok(matches(exact, 'any.host/x;y') && !matches(exact, 'any.host/x;y/'));
    assert.equal(exact.includes(';'), false, 'no Runtime API command separator');
    const wild = routeKey({ host: '*.blog.example', redirect: false });
    assert.ok(matches(wild, 'a.blog.example/x'));
    assert.ok(!matches(wild, 'b.a.blog.example/x') && !matches(wild, 'blog.example/x'));
    const entries = routeEntries(
      {
        rules: [
          { host: 'h', listener: 'l', redirect: true },
          { host: '', redirect: false },
        ],
      } as RouterConfig,
      (l) => `b_${l}`,
    );
    assert.deepEqual(entries, [
      ['^h(/.*)?$', 'Rb_l'],
      ['^[^/]*(/.*)?$', '-404'],
    ]);
  });

  it('renders a frontend HAProxy accepts; routed listeners get only a backend', (t) => {
    const binary = findHaproxy();
    if (binary === undefined) {
      if (process.env.CI === 'true') throw new Error('HAProxy is not installed');
      return t.skip('HAProxy is not installed');
    }
    const dir = mkdtempSync(join(tmpdir(), 'stratus-hrouter-'));
    try {
      const made = spawnSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'c.pem'),
          '-subj',
          '/CN=a.example',
          '-days',
          '1',
        ]),
        { encoding: 'utf8' },
      );
      assert.equal(made.status, 0, made.stderr);
      const key = readFileSync(join(dir, 'k.pem'), 'utf8');
      const cert = readFileSync(join(dir, 'c.pem'), 'utf8');
      const listeners = normalizeConfig({
        listeners: [
          {
            name: 'ingress/default/a:80',
            address: '127.0.0.1',
            port: 0,
            protocol: 'http',
            maxBodyBytes: 1000,
            trustForwarded: true,
            endpoints: [],
          },
        ],
      });
      const router: RouterConfig = {
        address: '127.0.0.1',
        httpPort: 18080,
        httpsPort: 18443,
        defaultCertificate: { cert, key },
        certificates: [{ hosts: ['a.example', '*.b.example'], cert, key }],
        rules: [
          {
            host: 'a.example',
            path: { exact: false, path: '/' },
            listener: 'ingress/default/a:80',
            redirect: true,
          },
          { host: '', redirect: false },
        ],
        headersTimeoutMs: 60_000,
        keepAliveTimeoutMs: 75_000,
        requestTimeoutMs: 60_000,
      };
      const text = renderConfig(
        listeners,
        new Map([['ingress/default/a:80', new SlotTable(0)]]),
        { dir, threads: 1, cookieKey: 'k', hardStopAfterMs: 1000, router },
        true,
      );
      assert.equal(/frontend f_ingress/.test(text), false);
      assert.match(text, /backend b_ingress[^\n]*\n {2}http-request deny deny_status 413/);
      mkdirSync(join(dir, 'certs'));
      for (const f of certificateFiles(router, dir).files) writeFileSync(join(dir, f.name), f.content);
      writeFileSync(join(dir, ROUTE_MAP), routeMapText(routeEntries(router, (l) => l)));
      writeFileSync(join(dir, 'h.cfg'), text);
      const result = spawnSync(binary, ['-c', '-f', join(dir, 'h.cfg')], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
