import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DnsFormatError, RCODE, TYPE, encodeQuery, encodeResponse, parseQuery } from './dns-message.js';

test('a query round-trips, names keep their case', () => {
  const q = parseQuery(encodeQuery(0x1234, 'Web.Default.svc.cluster.local', TYPE.SRV));
  assert.deepEqual(q, {
    id: 0x1234,
    opcode: 0,
    rd: true,
    questions: [{ name: 'Web.Default.svc.cluster.local', type: TYPE.SRV, class: 1 }],
  });
});

test('compression pointers and an EDNS0 OPT record are read', () => {
  // Header (1 question, 1 additional), question "a.b" A IN, then OPT with a 4096-byte payload.
  const msg = Uint8Array.from([
    0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 97, 1, 98, 0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0,
  ]);
  const q = parseQuery(msg);
  assert.equal(q.questions[0]?.name, 'a.b');
  assert.equal(q.ednsUdpSize, 4096);
  // A second question pointing back at the first name: 0xc00c.
  const two = Uint8Array.from([
    0, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 97, 1, 98, 0, 0, 1, 0, 1, 0xc0, 12, 0, 28, 0, 1,
  ]);
  assert.deepEqual(
    parseQuery(two).questions.map((x) => [x.name, x.type]),
    [
      ['a.b', 1],
      ['a.b', 28],
    ],
  );
});

test('malformed messages are refused', () => {
  assert.throws(() => parseQuery(new Uint8Array(5)), DnsFormatError);
  const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.throws(() => parseQuery(loop), DnsFormatError);
  const reply = encodeResponse({ id: 1, rd: true, aa: true, ra: true, rcode: 0, questions: [], answers: [] });
  assert.throws(() => parseQuery(reply), /not a query/);
});

test('an answer over the size limit is cut and marked truncated', () => {
  const answers = Array.from({ length: 60 }, (_, i) => ({
    name: 'many.default.svc.cluster.local',
    ttl: 5,
    type: 'A' as const,
    address: `10.0.0.${i}`,
  }));
  const q = { name: 'many.default.svc.cluster.local', type: TYPE.A, class: 1 };
  const full = encodeResponse({
    id: 9,
    rd: true,
    aa: true,
    ra: true,
    rcode: RCODE.NOERROR,
    questions: [q],
    answers,
  });
  const cut = encodeResponse(
    { id: 9, rd: true, aa: true, ra: true, rcode: RCODE.NOERROR, questions: [q], answers },
    512,
  );
  assert.ok(full.length > 512);
  assert.ok(cut.length <= 512);
  assert.equal((cut[2] as number) & 0x02, 0x02, 'TC set');
  assert.equal((full[2] as number) & 0x02, 0, 'TC clear');
  assert.equal((full[3] as number) & 0x0f, RCODE.NOERROR);
  assert.equal(((full[6] as number) << 8) | (full[7] as number), 60);
});
