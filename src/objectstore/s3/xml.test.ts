import { test } from 'node:test';
import assert from 'node:assert/strict';
import { child, childText, children, escapeXml, parseXml, xmlDocument } from './xml.js';
import { ObjectStoreError } from '../errors.js';

test('parses S3 request documents with namespaces, entities, CDATA and comments', () => {
  const root = parseXml(
    '<?xml version="1.0"?>\n<!-- c --><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>' +
      '<Object><Key>a&amp;b&#x20;&#65;</Key></Object><Object><Key><![CDATA[<x>]]></Key><VersionId>v1</VersionId></Object><s3:Empty/></Delete>',
  );
  assert.equal(root.name, 'Delete');
  assert.equal(childText(root, 'Quiet'), 'true');
  assert.deepEqual(
    children(root, 'Object').map((o) => childText(o, 'Key')),
    ['a&b A', '<x>'],
  );
  assert.equal(childText(children(root, 'Object')[1]!, 'VersionId'), 'v1');
  assert.ok(child(root, 'Empty'));
});

test('rejects malformed and hostile XML with MalformedXML', () => {
  const bad = [
    '',
    '<a>',
    '<a></b>',
    '<a>&foo;</a>',
    '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
    '<a/><b/>',
    'text<a/>',
    '<a x=1/>',
    '<' + 'a>'.repeat(40),
    '<a>&#xD800;</a>',
    '<a b="1',
  ];
  for (const text of bad) {
    assert.throws(
      () => parseXml(text),
      (e: unknown) => e instanceof ObjectStoreError && e.code === 'MalformedXML',
      text,
    );
  }
});

test('serializes documents with escaping, skipping undefined values', () => {
  const doc = xmlDocument('R', [
    ['A', 'x<&>"\u0001'],
    ['B', undefined],
    [
      'C',
      [
        ['D', 3],
        ['E', true],
      ],
    ],
  ]);
  assert.equal(
    doc,
    '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><A>x&lt;&amp;&gt;&quot;&#x1;</A><C><D>3</D><E>true</E></C></R>',
  );
  assert.equal(escapeXml("'"), '&apos;');
  assert.equal(parseXml(doc).children[0]?.text, 'x<&>"\u0001');
});
