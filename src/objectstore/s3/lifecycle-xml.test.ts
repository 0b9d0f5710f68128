import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isObjectStoreError } from '../errors.js';
import { lifecycleToXml, parseLifecycleConfiguration } from './lifecycle-xml.js';
import { parseXml, xmlDocument } from './xml.js';

const parse = (rules: string): ReturnType<typeof parseLifecycleConfiguration> =>
  parseLifecycleConfiguration(
    parseXml(`<LifecycleConfiguration>${rules}</LifecycleConfiguration>`),
    () => 'gen',
  );

function fails(rules: string, code: string, message?: RegExp): void {
  assert.throws(
    () => parse(rules),
    (e: unknown) => {
      assert.ok(isObjectStoreError(e), String(e));
      assert.equal(e.code, code, e.message);
      if (message !== undefined) assert.match(e.message, message);
      return true;
    },
  );
}

const rule = (inner: string, id = '<ID>r</ID>'): string =>
  `<Rule>${id}<Status>Enabled</Status>${inner}</Rule>`;

test('lifecycle XML: every filter form and action parses and writes back the same', () => {
  const rules = parse(
    rule('<Filter><Prefix>logs/</Prefix></Filter><Expiration><Days>30</Days></Expiration>', '<ID>a</ID>') +
      rule(
        '<Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>' +
          '<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>' +
          '<NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>',
        '<ID>b</ID>',
      ) +
      rule(
        '<Filter/><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>',
        '',
      ) +
      rule('<Prefix>old/</Prefix><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>', '<ID>c</ID>') +
      rule(
        '<Filter><Tag><Key>t</Key><Value>1</Value></Tag></Filter><Expiration><Days>1</Days></Expiration>',
        '<ID>d</ID>',
      ) +
      rule(
        '<Filter><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>',
        '<ID>e</ID>',
      ),
  );
  assert.deepEqual(rules[0], {
    id: 'a',
    enabled: true,
    filter: { prefix: 'logs/' },
    expiration: { days: 30 },
  });
  assert.deepEqual(rules[1]?.filter, {
    prefix: 'p/',
    tags: [
      { key: 'k', value: 'v' },
      { key: 'k2', value: '' },
    ],
    sizeGreaterThan: 10,
    sizeLessThan: 100,
    and: true,
  });
  assert.deepEqual(rules[1]?.noncurrentVersionExpiration, { noncurrentDays: 5, newerNoncurrentVersions: 2 });
  assert.equal(rules[2]?.id, 'gen', 'a rule without an ID gets one');
  assert.deepEqual(rules[2]?.expiration, { expiredObjectDeleteMarker: true });
  assert.deepEqual(rules[3], {
    id: 'c',
    enabled: true,
    filter: { prefix: 'old/' },
    legacyPrefix: true,
    expiration: { date: '2030-01-01T00:00:00.000Z' },
  });
  // Round trip: what GET writes parses back to the same rules.
  const again = parseLifecycleConfiguration(
    parseXml(xmlDocument('LifecycleConfiguration', lifecycleToXml(rules))),
    () => 'x',
  );
  assert.deepEqual(again, rules);
});

test('lifecycle XML: invalid configurations fail with the codes S3 gives, naming what is wrong', () => {
  const exp = '<Filter/><Expiration><Days>1</Days></Expiration>';
  fails('', 'MalformedXML', /at least one <Rule>/);
  fails(`<Rule><ID>x</ID><Status>On</Status>${exp}</Rule>`, 'MalformedXML', /Status/);
  fails(rule('<Expiration><Days>1</Days></Expiration>'), 'MalformedXML', /needs a <Filter>/);
  fails(
    rule('<Filter/><Prefix>a</Prefix><Expiration><Days>1</Days></Expiration>'),
    'MalformedXML',
    /not both/,
  );
  fails(
    rule(
      '<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Expiration><Days>1</Days></Expiration>',
    ),
    'MalformedXML',
  );
  fails(rule('<Filter/><Expiration><Days>x</Days></Expiration>'), 'MalformedXML', /integer/);
  fails(
    rule('<Filter/><Expiration><Days>0</Days></Expiration>'),
    'InvalidArgument',
    /'Days' for Expiration action must be a positive integer/,
  );
  fails(
    rule('<Filter/><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>'),
    'MalformedXML',
  );
  fails(
    rule('<Filter/><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>'),
    'InvalidArgument',
    /midnight/,
  );
  fails(rule('<Filter/><Expiration><Date>someday</Date></Expiration>'), 'InvalidArgument', /ISO 8601/);
  fails(
    rule(
      '<Filter/><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>',
    ),
    'InvalidArgument',
    /ExpiredObjectDeleteMarker cannot be specified with Days or Date/,
  );
  fails(
    rule(
      '<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>',
    ),
    'InvalidArgument',
    /tag/,
  );
  fails(
    rule(
      '<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>',
    ),
    'InvalidArgument',
    /AbortIncompleteMultipartUpload cannot be specified with Tags/,
  );
  fails(
    rule(
      '<Filter/><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>',
    ),
    'InvalidArgument',
    /NoncurrentDays/,
  );
  fails(
    rule(
      '<Filter/><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>',
    ),
    'InvalidArgument',
    /NewerNoncurrentVersions.*from 1 to 100/,
  );
  fails(
    rule(
      '<Filter/><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>',
    ),
    'InvalidArgument',
    /DaysAfterInitiation/,
  );
  fails(
    rule(
      '<Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter><Expiration><Days>1</Days></Expiration>',
    ),
    'InvalidArgument',
    /ObjectSizeGreaterThan/,
  );
  fails(rule('<Filter/>'), 'InvalidRequest', /At least one action/);
  fails(rule(exp) + rule(exp), 'InvalidArgument', /unique/);
  fails(rule(exp, `<ID>${'x'.repeat(256)}</ID>`), 'InvalidArgument', /255/);
  fails(
    rule('<Filter/><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>'),
    'NotImplemented',
  );
  fails(rule(exp + '<Bogus/>'), 'MalformedXML', /Bogus/);
  assert.throws(() => parseLifecycleConfiguration(parseXml('<Other/>'), () => 'x'), /LifecycleConfiguration/);
});
