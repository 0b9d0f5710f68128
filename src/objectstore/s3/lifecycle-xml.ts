import { ObjectStoreError } from '../errors.js';
import type { LifecycleFilter, LifecycleRule } from '../object-store.js';
import { child, children, type XmlElement, type XmlNode } from './xml.js';

/**
 * S3's LifecycleConfiguration document: parsed and validated as S3 does (schema errors are
 * MalformedXML; values out of range InvalidArgument naming the element; a rule without an
 * action InvalidRequest), and written back in the same shape. Transitions need storage classes
 * Stratus does not have: NotImplemented. Pure.
 */

/** S3's limit on rules per configuration. */
export const MAX_LIFECYCLE_RULES = 1000;

function malformed(why: string): ObjectStoreError {
  return new ObjectStoreError(
    'MalformedXML',
    `The XML you provided was not well-formed or did not validate against our published schema: ${why}`,
  );
}

function invalid(message: string, name: string, value?: string): ObjectStoreError {
  return new ObjectStoreError('InvalidArgument', message, {
    ArgumentName: name,
    ...(value !== undefined ? { ArgumentValue: value } : {}),
  });
}

/** Only these child elements, each at most once unless `repeat` names it. */
function only(el: XmlElement, allowed: readonly string[], repeat: readonly string[] = []): void {
  const seen = new Set<string>();
  for (const c of el.children) {
    if (!allowed.includes(c.name)) throw malformed(`unexpected element <${c.name}> in <${el.name}>`);
    if (seen.has(c.name) && !repeat.includes(c.name))
      throw malformed(`<${c.name}> appears twice in <${el.name}>`);
    seen.add(c.name);
  }
}

/** An integer element: MalformedXML when not a number, InvalidArgument when below `min`. */
function integer(
  el: XmlElement | undefined,
  what: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (el === undefined) return undefined;
  const text = el.text.trim();
  if (!/^-?\d{1,16}$/.test(text))
    throw malformed(`<${el.name}> must be an integer, not ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? min === 1
          ? 'a positive integer'
          : `at least ${min}`
        : `from ${min} to ${max}`;
    throw invalid(`'${el.name}' for ${what} must be ${range}, not ${text}`, el.name, text);
  }
  return n;
}

function parseTag(el: XmlElement): { key: string; value: string } {
  only(el, ['Key', 'Value']);
  const key = child(el, 'Key')?.text;
  if (key === undefined) throw malformed('every <Tag> needs a <Key>');
  if (key.length === 0 || key.length > 128)
    throw invalid(`The tag key ${JSON.stringify(key)} must be 1 to 128 characters`, 'Key', key);
  const value = child(el, 'Value')?.text ?? '';
  if (value.length > 256)
    throw invalid(`The tag value of ${JSON.stringify(key)} must be at most 256 characters`, 'Value', value);
  return { key, value };
}

const PREDICATES = ['Prefix', 'Tag', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan'];

function predicates(el: XmlElement, into: LifecycleFilter): void {
  const prefix = child(el, 'Prefix');
  if (prefix !== undefined) into.prefix = prefix.text;
  const tags = children(el, 'Tag').map(parseTag);
  if (tags.length > 0) {
    const keys = new Set(tags.map((t) => t.key));
    if (keys.size !== tags.length) throw invalid('Duplicate Tag Keys are not allowed', 'Tag');
    into.tags = tags;
  }
  const gt = integer(child(el, 'ObjectSizeGreaterThan'), 'the filter', 0);
  if (gt !== undefined) into.sizeGreaterThan = gt;
  const lt = integer(child(el, 'ObjectSizeLessThan'), 'the filter', 1);
  if (lt !== undefined) into.sizeLessThan = lt;
  if (gt !== undefined && lt !== undefined && gt >= lt)
    throw invalid(
      `ObjectSizeGreaterThan (${gt}) must be less than ObjectSizeLessThan (${lt})`,
      'ObjectSizeGreaterThan',
      String(gt),
    );
}

function parseFilter(el: XmlElement): LifecycleFilter {
  only(el, [...PREDICATES, 'And']);
  if (el.children.length > 1)
    throw malformed('a <Filter> holds one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And');
  const filter: LifecycleFilter = {};
  const and = child(el, 'And');
  if (and === undefined) {
    predicates(el, filter);
    return filter;
  }
  only(and, PREDICATES, ['Tag']);
  predicates(and, filter);
  filter.and = true;
  return filter;
}

function parseRule(el: XmlElement, makeId: () => string): LifecycleRule {
  only(
    el,
    [
      'ID',
      'Filter',
      'Prefix',
      'Status',
      'Expiration',
      'NoncurrentVersionExpiration',
      'AbortIncompleteMultipartUpload',
      'Transition',
      'NoncurrentVersionTransition',
    ],
    ['Transition', 'NoncurrentVersionTransition'],
  );
  if (child(el, 'Transition') !== undefined || child(el, 'NoncurrentVersionTransition') !== undefined)
    throw new ObjectStoreError(
      'NotImplemented',
      'Lifecycle transitions are not implemented: Stratus has one storage class, STANDARD',
    );
  const id = child(el, 'ID')?.text ?? makeId();
  if (id.length > 255) throw invalid('ID length should not exceed allowed limit of 255', 'ID', id);
  const status = child(el, 'Status')?.text;
  if (status !== 'Enabled' && status !== 'Disabled')
    throw malformed(`the rule's <Status> must be Enabled or Disabled, not ${JSON.stringify(status ?? '')}`);
  const filterEl = child(el, 'Filter');
  const legacy = child(el, 'Prefix');
  if (filterEl !== undefined && legacy !== undefined)
    throw malformed('a rule has either <Filter> or <Prefix>, not both');
  if (filterEl === undefined && legacy === undefined)
    throw malformed('a rule needs a <Filter> (or a <Prefix>)');
  const rule: LifecycleRule = {
    id,
    enabled: status === 'Enabled',
    filter: filterEl !== undefined ? parseFilter(filterEl) : { prefix: legacy!.text },
  };
  if (legacy !== undefined) rule.legacyPrefix = true;
  const tagged = (rule.filter.tags?.length ?? 0) > 0;

  const exp = child(el, 'Expiration');
  if (exp !== undefined) {
    only(exp, ['Days', 'Date', 'ExpiredObjectDeleteMarker']);
    const days = integer(child(exp, 'Days'), 'Expiration action', 1);
    const dateEl = child(exp, 'Date');
    const eodmEl = child(exp, 'ExpiredObjectDeleteMarker');
    const given = [days !== undefined, dateEl !== undefined, eodmEl !== undefined].filter(Boolean).length;
    if (given === 0) throw malformed('<Expiration> needs Days, Date or ExpiredObjectDeleteMarker');
    if (days !== undefined && dateEl !== undefined)
      throw malformed('<Expiration> has either Days or Date, not both');
    if (eodmEl !== undefined && given > 1)
      throw invalid(
        'ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy',
        'ExpiredObjectDeleteMarker',
      );
    rule.expiration = {};
    if (days !== undefined) rule.expiration.days = days;
    if (dateEl !== undefined) rule.expiration.date = parseDate(dateEl.text.trim());
    if (eodmEl !== undefined) {
      const v = eodmEl.text.trim();
      if (v !== 'true' && v !== 'false')
        throw malformed(`<ExpiredObjectDeleteMarker> must be true or false, not ${JSON.stringify(v)}`);
      if (tagged && v === 'true')
        throw invalid(
          'ExpiredObjectDeleteMarker cannot be specified with a tag-based filter',
          'ExpiredObjectDeleteMarker',
        );
      rule.expiration.expiredObjectDeleteMarker = v === 'true';
    }
  }
  const nve = child(el, 'NoncurrentVersionExpiration');
  if (nve !== undefined) {
    only(nve, ['NoncurrentDays', 'NewerNoncurrentVersions']);
    const noncurrentDays = integer(child(nve, 'NoncurrentDays'), 'NoncurrentVersionExpiration action', 1);
    if (noncurrentDays === undefined) throw malformed('<NoncurrentVersionExpiration> needs <NoncurrentDays>');
    const newer = integer(
      child(nve, 'NewerNoncurrentVersions'),
      'NoncurrentVersionExpiration action',
      1,
      100,
    );
    rule.noncurrentVersionExpiration = {
      noncurrentDays,
      ...(newer !== undefined ? { newerNoncurrentVersions: newer } : {}),
    };
  }
  const abort = child(el, 'AbortIncompleteMultipartUpload');
  if (abort !== undefined) {
    only(abort, ['DaysAfterInitiation']);
    const days = integer(child(abort, 'DaysAfterInitiation'), 'AbortIncompleteMultipartUpload action', 1);
    if (days === undefined) throw malformed('<AbortIncompleteMultipartUpload> needs <DaysAfterInitiation>');
    if (tagged)
      throw invalid(
        'AbortIncompleteMultipartUpload cannot be specified with Tags',
        'AbortIncompleteMultipartUpload',
      );
    rule.abortIncompleteMultipartUpload = { daysAfterInitiation: days };
  }
  if (exp === undefined && nve === undefined && abort === undefined)
    throw new ObjectStoreError(
      'InvalidRequest',
      `At least one action needs to be specified in a rule (rule ${JSON.stringify(id)})`,
    );
  return rule;
}

/** An ISO 8601 date at midnight UTC, normalized; InvalidArgument otherwise. */
function parseDate(text: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms))
    throw invalid(`The Date ${JSON.stringify(text)} is not an ISO 8601 date`, 'Date', text);
  if (ms % 86_400_000 !== 0) throw invalid("'Date' must be at midnight GMT", 'Date', text);
  return new Date(ms).toISOString();
}

/**
 * Parses a PutBucketLifecycleConfiguration body into rules. `makeId` names rules sent without
 * an ID (S3 generates one).
 */
export function parseLifecycleConfiguration(root: XmlElement, makeId: () => string): LifecycleRule[] {
  if (root.name !== 'LifecycleConfiguration')
    throw malformed('the root element must be LifecycleConfiguration');
  only(root, ['Rule'], ['Rule']);
  const ruleEls = children(root, 'Rule');
  if (ruleEls.length === 0) throw malformed('a LifecycleConfiguration needs at least one <Rule>');
  if (ruleEls.length > MAX_LIFECYCLE_RULES)
    throw invalid(
      `A lifecycle configuration holds at most ${MAX_LIFECYCLE_RULES} rules, not ${ruleEls.length}`,
      'Rule',
    );
  const rules = ruleEls.map((r) => parseRule(r, makeId));
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id))
      throw invalid('Rule ID must be unique. Found same ID for more than one rule', 'ID', r.id);
    ids.add(r.id);
  }
  return rules;
}

function filterXml(f: LifecycleFilter): XmlNode[] {
  const inner: XmlNode[] = [
    ['Prefix', f.prefix],
    ...(f.tags ?? []).map((t): XmlNode => [
      'Tag',
      [
        ['Key', t.key],
        ['Value', t.value],
      ],
    ]),
    ['ObjectSizeGreaterThan', f.sizeGreaterThan],
    ['ObjectSizeLessThan', f.sizeLessThan],
  ];
  return f.and === true ? [['And', inner]] : inner;
}

/** The rules as the XML GetBucketLifecycleConfiguration answers (the content of the root). */
export function lifecycleToXml(rules: readonly LifecycleRule[]): XmlNode[] {
  return rules.map((r): XmlNode => {
    const e = r.expiration;
    const n = r.noncurrentVersionExpiration;
    return [
      'Rule',
      [
        [
          'Expiration',
          e === undefined
            ? undefined
            : [
                ['Days', e.days],
                ['Date', e.date],
                ['ExpiredObjectDeleteMarker', e.expiredObjectDeleteMarker],
              ],
        ],
        ['ID', r.id],
        r.legacyPrefix === true ? ['Prefix', r.filter.prefix ?? ''] : ['Filter', filterXml(r.filter)],
        ['Status', r.enabled ? 'Enabled' : 'Disabled'],
        [
          'NoncurrentVersionExpiration',
          n === undefined
            ? undefined
            : [
                ['NoncurrentDays', n.noncurrentDays],
                ['NewerNoncurrentVersions', n.newerNoncurrentVersions],
              ],
        ],
        [
          'AbortIncompleteMultipartUpload',
          r.abortIncompleteMultipartUpload === undefined
            ? undefined
            : [['DaysAfterInitiation', r.abortIncompleteMultipartUpload.daysAfterInitiation]],
        ],
      ],
    ];
  });
}
