import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileFieldSelector,
  compileLabelSelector,
  fieldValue,
  labelRequirementsToString,
  labelSelectorToString,
  matchLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './selector.js';

const labels = { app: 'web', tier: 'front', 'example.com/team': 'core', n: '7', empty: '' };

function matches(selector: string, l: Record<string, string> | undefined = labels): boolean {
  return compileLabelSelector(selector)(l);
}

function invalid(fn: () => unknown, part: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SelectorError, String(err));
    assert.equal(err.code, 'SELECTOR_INVALID');
    assert.equal(err.status, 400);
    assert.match(err.message, part);
    return true;
  });
}

test('label selector: equality, inequality and existence', () => {
  assert.equal(matches(''), true);
  assert.equal(matches('app=web'), true);
  assert.equal(matches('app==web'), true);
  assert.equal(matches('app=db'), false);
  assert.equal(matches('app!=db'), true);
  assert.equal(matches('app!=web'), false);
  assert.equal(matches('missing!=x'), true, '!= matches objects without the label, as in Kubernetes');
  assert.equal(matches('app'), true);
  assert.equal(matches('missing'), false);
  assert.equal(matches('!missing'), true);
  assert.equal(matches('!app'), false);
  assert.equal(matches('empty='), true);
  assert.equal(matches('example.com/team=core'), true);
  assert.equal(compileLabelSelector('app=web')(undefined), false);
  assert.equal(compileLabelSelector('!app')(undefined), true);
});

test('label selector: set-based operators, comma as AND and whitespace', () => {
  assert.equal(matches('tier in (front,back)'), true);
  assert.equal(matches('tier in ( back , edge )'), false);
  assert.equal(matches('tier notin (back)'), true);
  assert.equal(matches('tier notin (front, back)'), false);
  assert.equal(matches('missing notin (x)'), true);
  assert.equal(matches('missing in (x)'), false);
  assert.equal(matches(' app = web , tier in (front) , !canary '), true);
  assert.equal(matches('app=web,tier=back'), false);
  assert.equal(matches('n>5,n<8'), true);
  assert.equal(matches('n>7'), false);
  assert.equal(matches('app>1'), false, 'non-numeric values never satisfy > or <');
});

test('label selector: bad syntax is SELECTOR_INVALID naming the bad part', () => {
  invalid(() => parseLabelSelector('app in (web'), /expected "," or "\)".*"app"/);
  invalid(() => parseLabelSelector('app in web'), /expected "\(" after "app in"/);
  invalid(() => parseLabelSelector('app in ()'), /values set can't be empty/);
  invalid(() => parseLabelSelector('=web'), /expected a label key but found "="/);
  invalid(() => parseLabelSelector('app=web,'), /expected a label key but found end of string/);
  invalid(() => parseLabelSelector('app=web tier=x'), /expected "," or end of string but found "tier"/);
  invalid(() => parseLabelSelector('app=we b'), /found "b"/);
  invalid(() => parseLabelSelector('-bad=x'), /invalid label key "-bad"/);
  invalid(() => parseLabelSelector('app=bad value!'), /found "value"/);
  invalid(() => parseLabelSelector('app=-x'), /invalid label value "-x"/);
  invalid(() => parseLabelSelector('!app=x'), /after "!app"/);
  invalid(() => parseLabelSelector('n>x'), /expected an integer/);
  invalid(() => parseLabelSelector(`k=${'v'.repeat(64)}`), /invalid label value/);
});

test('label selector: parse and print round-trip', () => {
  const text = 'app=web,tier!=db,env in (prod,dev),x notin (a),canary,!legacy,n>3';
  const reqs = parseLabelSelector(text);
  assert.equal(reqs.length, 7);
  assert.deepEqual(reqs[2], { key: 'env', operator: 'In', values: ['dev', 'prod'] });
  assert.deepEqual(parseLabelSelector(labelRequirementsToString(reqs)), reqs);
});

test('field selector: paths, operators, escapes and missing fields', () => {
  const pod = {
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { nodeName: 'n1', replicas: 3, hostNetwork: false },
    status: { phase: 'Running' },
    type: 'Warning',
    involvedObject: { name: 'a,b=c' },
  };
  const m = (s: string): boolean => compileFieldSelector(s)(pod);
  assert.equal(m(''), true);
  assert.equal(m('metadata.name=web-1'), true);
  assert.equal(m('metadata.name==web-1,metadata.namespace=default'), true);
  assert.equal(m('metadata.namespace!=default'), false);
  assert.equal(m('spec.nodeName=n1,status.phase!=Pending'), true);
  assert.equal(m('spec.nodeName='), false);
  assert.equal(m('spec.missing='), true, 'a missing field reads as the empty string');
  assert.equal(m('spec.missing!=x'), true);
  assert.equal(m('type=Warning'), true);
  assert.equal(m('spec.replicas=3,spec.hostNetwork=false'), true);
  assert.equal(m('involvedObject.name=a\\,b\\=c'), true);
  assert.equal(fieldValue(pod, 'metadata.name.deeper'), '');
  assert.deepEqual(parseFieldSelector(' status.phase != Running '), [
    { path: 'status.phase', operator: 'NotEquals', value: 'Running' },
  ]);
});

test('field selector: bad syntax is SELECTOR_INVALID', () => {
  invalid(() => parseFieldSelector('metadata.name'), /can't understand 'metadata.name'/);
  invalid(() => parseFieldSelector('metadata.name=a,'), /can't understand ''/);
  invalid(() => parseFieldSelector('=x'), /invalid field path ""/);
  invalid(() => parseFieldSelector('meta..name=x'), /invalid field path "meta..name"/);
  invalid(() => parseFieldSelector('a=b=c'), /unescaped "="/);
  invalid(() => parseFieldSelector('a=b\\x'), /invalid escape/);
});

test('structured selectors: matchLabels and matchExpressions', () => {
  assert.equal(matchLabelSelector({ matchLabels: { app: 'web' } }, labels), true);
  assert.equal(matchLabelSelector({ matchLabels: { app: 'web', tier: 'back' } }, labels), false);
  assert.equal(
    matchLabelSelector(
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['front', 'edge'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'n', operator: 'Exists' },
          { key: 'app', operator: 'NotIn', values: ['db'] },
        ],
      },
      labels,
    ),
    true,
  );
  assert.equal(matchLabelSelector({}, labels), true, 'an empty selector matches everything');
  assert.equal(matchLabelSelector(undefined, labels), false, 'an absent selector matches nothing');
  assert.equal(matchLabelSelector(null, labels), false);
  invalid(
    () => matchLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, labels),
    /non-empty/,
  );
  invalid(
    () => matchLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, labels),
    /must be empty/,
  );
  invalid(
    () => matchLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, labels),
    /"Gt" is not a valid label selector operator/,
  );
});

test('structured selectors print as sorted selector strings that parse back', () => {
  const s = {
    matchLabels: { tier: 'front', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'NotIn' as const, values: ['prod', 'dev'] },
      { key: 'canary', operator: 'DoesNotExist' as const },
      { key: 'zone', operator: 'Exists' as const },
    ],
  };
  const text = labelSelectorToString(s);
  assert.equal(text, 'app=web,!canary,env notin (dev,prod),tier=front,zone');
  assert.equal(compileLabelSelector(text)({ app: 'web', tier: 'front', zone: 'a' }), true);
  assert.equal(compileLabelSelector(text)({ app: 'web', tier: 'front', zone: 'a', env: 'prod' }), false);
  assert.equal(labelSelectorToString({}), '');
});
