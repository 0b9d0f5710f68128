/**
 * Kubernetes' name and label rules (k8s.io/apimachinery/pkg/util/validation), with its exact
 * messages. Each check returns the list of problems; an empty list means valid.
 */

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?';
const CONFIG_KEY = '[-._a-zA-Z0-9]+';
const C_IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]*';
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';
const WILDCARD_SUBDOMAIN = `\\*\\.${DNS1123_SUBDOMAIN}`;
const HTTP_PATH = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";

const full = (re: string): RegExp => new RegExp(`^(?:${re})$`);
const labelRe = full(DNS1123_LABEL);
const subdomainRe = full(DNS1123_SUBDOMAIN);
const qualifiedRe = full(QUALIFIED_NAME);
const labelValueRe = full(LABEL_VALUE);
const configKeyRe = full(CONFIG_KEY);
const dns1035Re = full(DNS1035_LABEL);
const wildcardRe = full(WILDCARD_SUBDOMAIN);
const httpPathRe = full(HTTP_PATH);

/** apimachinery's `RegexError`: the message, examples, and the regex, worded exactly alike. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  let out = `${msg} (e.g. `;
  examples.forEach((e, i) => {
    if (i > 0) out += ' or ';
    out += `'${e}', `;
  });
  return `${out}regex used for validation is '${fmt}')`;
}

const maxLen = (n: number): string => `must be no more than ${n} characters`;

/** Problems of a value that must be at most `max` characters and match `re` (apimachinery's pattern). */
function dnsName(
  value: string,
  max: number,
  re: RegExp,
  message: string,
  fmt: string,
  ...examples: string[]
): string[] {
  const errs: string[] = [];
  if (value.length > max) errs.push(maxLen(max));
  if (!re.test(value)) errs.push(regexError(message, fmt, ...examples));
  return errs;
}

/** A DNS-1123 label (namespaces, container names): at most 63 characters. */
export function isDns1123Label(value: string): string[] {
  return dnsName(
    value,
    63,
    labelRe,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    DNS1123_LABEL,
    'my-name',
    '123-abc',
  );
}

/** A DNS-1123 subdomain (most object names): at most 253 characters. */
export function isDns1123Subdomain(value: string): string[] {
  return dnsName(
    value,
    253,
    subdomainRe,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    DNS1123_SUBDOMAIN,
    'example.com',
  );
}

/** A qualified name (label and annotation keys): an optional DNS subdomain prefix and `/`, then a name. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const e of isDns1123Subdomain(prefix)) errs.push(`prefix part ${e}`);
  } else {
    return [
      `${regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME,
        'MyName',
        'my.name',
        '123-abc',
      )} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (name.length > 0 && !qualifiedRe.test(name)) {
    errs.push(
      `name part ${regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME,
        'MyName',
        'my.name',
        '123-abc',
      )}`,
    );
  }
  return errs;
}

/** A label value: empty, or up to 63 alphanumerics with `-`, `_`, `.` inside. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!labelValueRe.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** A ConfigMap or Secret key: alphanumerics, `-`, `_`, `.`; not `.` or `..`; at most 253 characters. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLen(253));
  if (!configKeyRe.test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_KEY,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** A C identifier (not required for env names since 1.30, kept for completeness). */
export function isCIdentifier(value: string): string[] {
  return full(C_IDENTIFIER).test(value)
    ? []
    : [
        regexError(
          "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'",
          C_IDENTIFIER,
          'my_name',
          'MY_NAME',
          'MyName',
        ),
      ];
}

/** A DNS-1035 label (Service names): a letter first, at most 63 characters. */
export function isDns1035Label(value: string): string[] {
  return dnsName(
    value,
    63,
    dns1035Re,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    DNS1035_LABEL,
    'my-name',
    'abc-123',
  );
}

/** A wildcard DNS-1123 subdomain (Ingress hosts): `*.` and a subdomain. */
export function isWildcardDns1123Subdomain(value: string): string[] {
  return dnsName(
    value,
    253,
    wildcardRe,
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
    WILDCARD_SUBDOMAIN,
    '*.example.com',
  );
}

/** A domain-prefixed path (an IngressClass controller): `example.com/name`, as `IsDomainPrefixedPath`. */
export function isDomainPrefixedPath(value: string): Array<{ value: string; message: string }> {
  const slash = value.indexOf('/');
  const host = slash < 0 ? value : value.slice(0, slash);
  const path = slash < 0 ? '' : value.slice(slash + 1);
  if (slash < 0 || host === '' || path === '') {
    return [{ value, message: 'must be a domain-prefixed path (such as "acme.io/foo")' }];
  }
  const out = isDns1123Subdomain(host).map((message) => ({ value: host, message }));
  if (!httpPathRe.test(path)) out.push({ value: path, message: regexError('Invalid path', HTTP_PATH) });
  return out;
}
