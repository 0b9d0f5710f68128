import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { agentEndpointTls, detectNodeIP, parseNodeIP } from './node-ip.js';

test('a server on loopback means a node on 127.0.0.1; otherwise the local address of the route to it', async () => {
  assert.equal(await detectNodeIP('https://localhost:6443'), '127.0.0.1');
  assert.equal(await detectNodeIP('https://127.0.0.2:6443'), '127.0.0.1');
  // A server on another local address: the connection's own address is the answer.
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal(await detectNodeIP(`http://[::ffff:127.0.0.1]:${port}`), '127.0.0.1');
  } finally {
    server.close();
  }
  await assert.rejects(
    detectNodeIP('https://[::ffff:127.0.0.1]:1'),
    /cannot find this node's address \(give --node-ip\)/,
  );
});

test('--node-ip takes an IP literal, not a name or the unspecified address', () => {
  assert.equal(parseNodeIP('10.1.2.3'), '10.1.2.3');
  for (const bad of ['0.0.0.0', '::', 'node1', '10.1.2'])
    assert.throws(() => parseNodeIP(bad), /--node-ip must be this node's IP address/);
});

test("the agent endpoint's certificate: none on loopback, else self-signed for the node's address", () => {
  assert.equal(agentEndpointTls('n1', '127.0.0.1'), undefined);
  assert.equal(agentEndpointTls('n1', '::1'), undefined);
  const tls = agentEndpointTls('n1', '10.1.2.3', Date.UTC(2026, 0, 1));
  assert.ok(tls !== undefined);
  const cert = new X509Certificate(tls.cert);
  assert.equal(cert.subjectAltName, 'IP Address:10.1.2.3');
  assert.equal(cert.checkIP('10.1.2.3'), '10.1.2.3');
  assert.equal(cert.checkIP('10.1.2.4'), undefined);
  assert.match(cert.subject, /CN=system:node:n1/);
  assert.equal(cert.validTo, 'Jan  1 00:00:00 2027 GMT');
});
