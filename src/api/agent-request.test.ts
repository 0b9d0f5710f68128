import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import { test } from 'node:test';
import { issueCertificate } from '../identity/index.js';
import { agentRequest, type AgentTarget } from './pod-log.js';

const pair = (address: string) =>
  issueCertificate({
    commonName: 'system:node:n1',
    isCa: false,
    sans: { dnsNames: [], ipAddresses: [address] },
    notBefore: Date.now() - 60_000,
    notAfter: Date.now() + 3_600_000,
  });

function get(target: AgentTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = agentRequest(target, { path: '/' }, (res: IncomingMessage) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test("the API trusts an agent's HTTPS endpoint only with the certificate that agent published, for its address", async () => {
  const own = pair('127.0.0.1');
  const server = createServer(own, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const target = { host: '127.0.0.1', port, token: 't' };
  try {
    assert.equal(await get({ ...target, cert: own.cert }), 200);
    await assert.rejects(
      get({ ...target, cert: pair('127.0.0.1').cert }),
      /self[- ]signed|unable to verify/i,
    );
    await assert.rejects(get(target), /socket hang up|ECONNRESET|Parse Error/);
    // The published certificate for another address does not vouch for this one.
    const elsewhere = pair('10.9.9.9');
    const other = createServer(elsewhere, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const at = { ...target, port: (other.address() as { port: number }).port, cert: elsewhere.cert };
      await assert.rejects(get(at), /IP: 127\.0\.0\.1 is not in the cert's list/);
    } finally {
      other.close();
    }
  } finally {
    server.close();
  }
});
