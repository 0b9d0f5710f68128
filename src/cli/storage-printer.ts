import type { EngineStatus, ExplainResult, RingView } from '../objectstore/index.js';
import { describeBytes } from '../common/disk-space.js';
import { TablePrinter } from './table-printer.js';

/** Prints rows of strings as a kubectl-style table with the given upper-case headers. */
function table(headers: string[], rows: unknown[][]): string {
  return new TablePrinter().print({
    columnDefinitions: headers.map((name) => ({ name, type: 'string' })),
    rows: rows.map((cells) => ({ cells })),
  });
}

function percent(n: number): string {
  const r = Math.round(n * 100) / 100;
  return `${r > 0 ? '+' : ''}${r.toFixed(2)}%`;
}

function bytes(n: number | undefined): string {
  return n === undefined ? '?' : describeBytes(n);
}

/**
 * `stratus storage ring`: one row per device (DEVICE ZONE WEIGHT PARTITIONS DESIRED BALANCE
 * PATH), then the ring's replicas, part power, version and overall balance, with a line saying
 * what the numbers mean. Pure.
 */
export function formatRing(ring: RingView): string {
  const rows = ring.devices.map((d) => [
    d.id,
    d.zone,
    d.weight,
    d.partitions,
    Math.round(d.desired * 100) / 100,
    percent(d.balancePercent),
    d.path || '<not on this server>',
  ]);
  return (
    table(['DEVICE', 'ZONE', 'WEIGHT', 'PARTITIONS', 'DESIRED', 'BALANCE', 'PATH'], rows) +
    '\n' +
    `Replicas:     ${ring.replicas} (copies of each object)\n` +
    `Part power:   ${ring.partPower} (${ring.partitions} partitions, ${ring.partitions * ring.replicas} partition-replicas to place)\n` +
    `Ring version: ${ring.version}\n` +
    `Balance:      ${ring.balancePercent.toFixed(2)}% (worst device's distance from the share its weight asks for)\n`
  );
}

/**
 * `stratus storage status`: devices with their health and free space, then the auditor's and
 * the replicator's cumulative progress. Pure.
 */
export function formatStatus(status: EngineStatus): string {
  const rows = status.devices.map((d) => [
    d.id,
    d.health.ok ? 'ok' : (d.health.reason ?? 'error'),
    bytes(d.health.freeBytes),
    d.inRing ? 'yes' : 'no',
    d.balance ? d.balance.assigned : 0,
    d.path,
  ]);
  const a = status.auditor;
  const r = status.replicator;
  const l = status.lifecycle;
  const lines = [
    table(['DEVICE', 'HEALTH', 'FREE', 'IN RING', 'PARTITIONS', 'PATH'], rows).trimEnd(),
    '',
    `Ring: version ${status.ring.version}, ${status.ring.replicas} replicas, part power ${status.ring.partPower}, balance ${status.ring.worstPercentOff.toFixed(2)}%`,
    '',
    'Auditor (re-reads every stored file and checks its MD5):',
    `  passes:          ${a.passes}${a.current ? ` (now on ${a.current.device}, partition ${a.current.partition})` : ''}`,
    `  objects checked: ${a.objectsChecked} (${bytes(a.bytesChecked)})`,
    `  corrupt found:   ${a.corruptFound} (quarantined, restored by the replicator)`,
    `  orphans removed: ${a.orphansRemoved} (data files no index row named, older than an hour)`,
    `  last pass:       ${a.passes === 0 ? 'none yet' : `${a.lastPassObjects} objects, ${a.lastPassCorrupt} corrupt`}`,
    '',
    'Replicator (copies missing files and indexes to where the ring wants them):',
    `  passes:          ${r.passes}`,
    `  files copied:    ${r.filesCopied} (${bytes(r.bytesCopied)})`,
    `  indexes synced:  ${r.indexesSynced}`,
    `  corrupt skipped: ${r.corruptSkipped}`,
    `  last pass:       ${r.passes === 0 ? 'none yet' : `${r.lastPassCopied} files copied`}`,
    '',
    "Lifecycle (applies buckets' lifecycle rules, a bounded number of actions per pass):",
    `  passes:          ${l.passes} (${l.sweeps} full sweeps)${l.cursor ? ` (next: ${l.cursor.bucket}${l.cursor.key !== undefined ? ` after ${JSON.stringify(l.cursor.key)}` : ''})` : ''}`,
    `  keys scanned:    ${l.keysScanned}`,
    `  expired:         ${l.objectsExpired} objects, ${l.noncurrentDeleted} noncurrent versions, ${l.markersRemoved} delete markers`,
    `  uploads aborted: ${l.uploadsAborted}`,
    `  errors:          ${l.errors} (retried on the next sweep)`,
  ];
  return lines.join('\n') + '\n';
}

const STATE_TEXT: Record<string, string> = {
  ok: 'ok',
  stale: 'stale (an older version; the replicator will update it)',
  missing: 'missing (the replicator will restore it)',
  corrupt: 'corrupt (MD5 mismatch; the auditor will quarantine it)',
  'device-missing': 'device missing',
  'device-full': 'device full',
};

/**
 * `stratus explain object s3://bucket/key`: the partition the key hashes to, every copy of
 * each data file (device, primary or handoff, health, file) and the bucket index replicas,
 * with a one-line verdict. Pure.
 */
export function formatExplain(e: ExplainResult): string {
  const out: string[] = [
    `Object:    s3://${e.bucket}/${e.key}`,
    `Version:   ${e.versionId === 'null' ? 'null (written while versioning was off)' : e.versionId}`,
    `Partition: ${e.partition} (from the MD5 of the bucket and key: ${e.hash})`,
    '',
  ];
  let healthy = 0;
  let total = 0;
  for (const f of e.files) {
    if (e.files.length > 1) out.push(`Part file ${f.name}:`);
    out.push('Copies:');
    const rows = f.copies.map((c) => [c.device, c.role, STATE_TEXT[c.state] ?? c.state, c.path ?? '']);
    out.push(
      table(['DEVICE', 'ROLE', 'STATE', 'FILE'], rows)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    total += f.copies.filter((c) => c.role === 'primary').length;
    healthy += f.copies.filter((c) => c.state === 'ok').length;
  }
  out.push('', `Bucket index (partition ${e.index.partition}):`);
  const idx = e.index.replicas.map((r) => [r.device, r.role, r.present ? 'present' : 'missing']);
  out.push(
    table(['DEVICE', 'ROLE', 'STATE'], idx)
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  out.push(
    '',
    healthy >= total
      ? `All ${healthy} copies are healthy.`
      : `${healthy} of ${total} copies are healthy; the auditor and replicator repair the others.`,
  );
  return out.join('\n') + '\n';
}
