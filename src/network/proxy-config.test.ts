import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode } from '../common/stratus-error.js';
import { normalizeConfig, type ListenerConfig } from './proxy-config.js';

const base: ListenerConfig = {
  name: 'default/web:http',
  address: '127.77.0.10',
  port: 80,
  protocol: 'http',
  endpoints: [{ id: 'pod-a:8080', address: '127.0.0.1', port: 31000 }],
};

function invalid(listener: Partial<ListenerConfig> & Record<string, unknown>, field: RegExp): void {
  assert.throws(
    () => normalizeConfig({ listeners: [{ ...base, ...listener }] }),
    (err: unknown) => hasCode(err, 'NETWORK_CONFIG_INVALID') && field.test((err as Error).message),
  );
}

describe('proxy configuration', () => {
  it('fills every default', () => {
    const [l] = normalizeConfig({ listeners: [base] });
    assert.equal(l?.algorithm, 'round-robin');
    assert.equal(l?.retries, 2);
    assert.equal(l?.upstreamIdleMs, 2000);
    assert.deepEqual(l?.endpoints[0], {
      id: 'pod-a:8080',
      address: '127.0.0.1',
      port: 31000,
      weight: 1,
      ready: true,
      serving: true,
      terminating: false,
    });
    assert.equal(l?.persistence, undefined);
  });

  it('names the wrong field and its value', () => {
    invalid({ port: 70000 }, /listeners\[0\]\.port: must be an integer from 0 to 65535, got 70000/);
    invalid({ address: 'example.com' }, /listeners\[0\]\.address: "example.com" is not an IP address/);
    invalid({ algorithm: 'fastest' as never }, /algorithm: "fastest" is not one of/);
    invalid({ endpoints: [{ id: 'a', address: '127.0.0.1', port: 0 }] }, /endpoints\[0\]\.port/);
    invalid(
      { endpoints: [{ id: 'a', address: '127.0.0.1', port: 1, weight: 300 }] },
      /endpoints\[0\]\.weight/,
    );
    invalid(
      {
        endpoints: [
          { id: 'a', address: '127.0.0.1', port: 1 },
          { id: 'a', address: '127.0.0.2', port: 1 },
        ],
      },
      /endpoints\[1\]\.id: "a" appears twice/,
    );
    invalid({ slowStartMs: 1000 }, /slow start needs a weighted algorithm/);
    invalid(
      { protocol: 'tcp', persistence: { type: 'cookie' } },
      /cookie persistence needs an http listener/,
    );
    invalid(
      { algorithm: 'consistent-hash', hashOn: { source: 'header', name: 'bad header' } },
      /hashOn\.name/,
    );
    invalid({ healthCheck: { type: 'http', path: 'no-slash' } }, /healthCheck\.path/);
  });

  it('refuses two listeners with one name or one address and port', () => {
    assert.throws(() => normalizeConfig({ listeners: [base, base] }), /appears twice/);
    assert.throws(
      () => normalizeConfig({ listeners: [base, { ...base, name: 'other' }] }),
      /127\.77\.0\.10:80 is used by another listener/,
    );
    assert.equal(normalizeConfig({ listeners: [base, { ...base, name: 'dns', protocol: 'udp' }] }).length, 2);
  });

  it('keeps hashing on a header case-insensitively and source hashing on the address', () => {
    const [h, s] = normalizeConfig({
      listeners: [
        { ...base, algorithm: 'consistent-hash', hashOn: { source: 'header', name: 'X-User' } },
        { ...base, name: 'b', port: 81, algorithm: 'source-hash', hashOn: { source: 'header', name: 'x' } },
      ],
    });
    assert.deepEqual(h?.hashOn, { source: 'header', name: 'x-user' });
    assert.deepEqual(s?.hashOn, { source: 'address' });
  });
});
