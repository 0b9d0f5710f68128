import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costOf, emptyTotals, formatMicros, formatRatio, parseMicros } from './cost.js';

describe('cost', () => {
  it('parses and formats prices exactly', () => {
    assert.equal(parseMicros('0.031611'), 31_611n);
    assert.equal(parseMicros('2'), 2_000_000n);
    assert.equal(parseMicros('1.2345678'), undefined);
    assert.equal(parseMicros('-1'), undefined);
    assert.equal(formatMicros(1_234_567n, 2), '1.23');
    assert.equal(formatMicros(1_235_000n, 2), '1.24');
    assert.equal(formatRatio(5_400_000, 3_600_000, 4), '1.5000');
  });

  it('prices a vCPU-hour, a GiB-hour, a GiB-month, 1,000 requests and a GiB', () => {
    const t = {
      ...emptyTotals(),
      cpuMs: 3_600_000,
      memKiBs: 1_048_576 * 3_600,
      storageKiBs: 1_048_576 * 30 * 86_400,
      requests: 1000,
      bytesOut: 1_073_741_824,
    };
    const c = costOf(t, {
      cpuPerVcpuHour: '0.04',
      memoryPerGiBHour: '0.005',
      storagePerGiBMonth: '0.023',
      per1000Requests: '0.0004',
      perGiBTransferred: '0.09',
    });
    assert.deepEqual(
      [c.cpu, c.memory, c.storage, c.requests, c.transfer, c.total],
      [40_000n, 5_000n, 23_000n, 400n, 90_000n, 158_400n],
    );
  });

  it('does not drift over many small sums', () => {
    // a million 15 s samples of a tenth of a core: 1.5e9 cpu-ms = 416.666… vCPU-hours
    const t = { ...emptyTotals(), cpuMs: 1_500 * 1_000_000 };
    assert.equal(formatMicros(costOf(t, { cpuPerVcpuHour: '0.03' }).cpu, 6), '12.500000');
  });
});
