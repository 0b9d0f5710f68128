import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellText, humanDuration, TablePrinter } from './table-printer.js';
import type { Table } from '../client/types.js';

const table: Table = {
  kind: 'Table',
  columnDefinitions: [
    { name: 'Name', type: 'string', priority: 0 },
    { name: 'Ready', type: 'string', priority: 0 },
    { name: 'Images', type: 'string', priority: 1 },
    { name: 'Age', type: 'string', priority: 0 },
  ],
  rows: [
    {
      cells: ['web', '3/3', 'node:20-alpine', '5m'],
      object: { metadata: { name: 'web', namespace: 'default' } },
    },
    { cells: ['a', '0/1', null, '10s'], object: { metadata: { name: 'a', namespace: 'kube-system' } } },
  ],
};

test('columns are padded to the widest cell plus three spaces, at least six wide, last unpadded', () => {
  assert.equal(
    new TablePrinter().print(table),
    'NAME   READY   AGE\nweb    3/3     5m\na      0/1     10s\n',
  );
});

test('-o wide adds priority columns, -A a NAMESPACE column, several types a name prefix', () => {
  const out = new TablePrinter({ wide: true, withNamespace: true, namePrefix: 'deployment.apps' }).print(
    table,
  );
  assert.equal(
    out,
    [
      'NAMESPACE     NAME                  READY   IMAGES           AGE',
      'default       deployment.apps/web   3/3     node:20-alpine   5m',
      'kube-system   deployment.apps/a     0/1     <none>           10s',
      '',
    ].join('\n'),
  );
});

test('widths are remembered so that rows printed later under -w stay aligned', () => {
  const p = new TablePrinter();
  const first = p.print({ columnDefinitions: table.columnDefinitions, rows: [table.rows[0]!] });
  const later = p.print(
    { columnDefinitions: table.columnDefinitions, rows: [table.rows[1]!] },
    { header: false },
  );
  assert.equal(first + later, 'NAME   READY   AGE\nweb    3/3     5m\na      0/1     10s\n');
});

test('cells print like kubectl: first line only, numbers and booleans as text', () => {
  assert.equal(cellText('a\nb'), 'a');
  assert.equal(cellText(3), '3');
  assert.equal(cellText(false), 'false');
  assert.equal(cellText(undefined), '<none>');
});

test('ages read as kubectl shows them', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [-5 * s, '<invalid>'],
    [0, '0s'],
    [119 * s, '119s'],
    [192 * s, '3m12s'],
    [600 * s, '10m'],
    [5 * 3600 * s + 60 * s, '5h1m'],
    [30 * 3600 * s, '30h'],
    [51 * 3600 * s, '2d3h'],
    [400 * 86400 * s, '400d'],
    [750 * 86400 * s, '2y20d'],
    [3000 * 86400 * s, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
});
