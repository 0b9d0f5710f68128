import { ObjectStoreError } from '../errors.js';

/**
 * A small, safe XML reader and writer for the few documents S3 exchanges (CompleteMultipartUpload,
 * Delete, Tagging, CORSConfiguration, VersioningConfiguration, CreateBucketConfiguration). It
 * reads elements, attributes, text, CDATA, comments and the five entities plus character
 * references; it refuses DOCTYPE (no entity expansion, no external entities) and nesting deeper
 * than 32, so a hostile body costs at most its own size.
 */

/** A parsed element: local name (namespace prefix dropped), attributes, children and text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 32;

function malformed(why: string): ObjectStoreError {
  return new ObjectStoreError(
    'MalformedXML',
    `The XML you provided was not well-formed or did not validate against our published schema: ${why}`,
  );
}

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (m: string, ent: string | undefined) => {
    if (ent === undefined) throw malformed('a bare & in text');
    if (ent.startsWith('#')) {
      const code = ent.startsWith('#x') ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      if (!(code >= 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff))
        throw malformed(`bad character reference ${m}`);
      return String.fromCodePoint(code);
    }
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    const v = named[ent];
    if (v === undefined) throw malformed(`unknown entity ${m}`);
    return v;
  });
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** Parses an XML document into its root element; malformed input is `MalformedXML`. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const n = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const nameRe = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
  const readName = (): string => {
    nameRe.lastIndex = i;
    const m = nameRe.exec(text);
    if (m === null) throw malformed(`expected a name at offset ${i}`);
    i += m[0].length;
    return m[0];
  };
  const skipSpace = (): void => {
    while (i < n && /\s/.test(text[i] as string)) i++;
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    const top = stack[stack.length - 1];
    if (top !== undefined) top.text += decodeEntities(chunk);
    else if (chunk.trim() !== '') throw malformed('text outside the root element');
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) throw malformed('unterminated processing instruction');
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) throw malformed('unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0 || top === undefined) throw malformed('bad CDATA section');
      top.text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      throw malformed('DOCTYPE and other declarations are not allowed');
    } else if (text.startsWith('</', i)) {
      i += 2;
      const name = localName(readName());
      skipSpace();
      if (text[i] !== '>') throw malformed(`bad end tag </${name}`);
      i++;
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw malformed(`end tag </${name}> does not match`);
    } else {
      i++;
      const el: XmlElement = { name: localName(readName()), attributes: {}, children: [], text: '' };
      let selfClosing = false;
      for (;;) {
        skipSpace();
        if (text.startsWith('/>', i)) {
          i += 2;
          selfClosing = true;
          break;
        }
        if (text[i] === '>') {
          i++;
          break;
        }
        if (i >= n) throw malformed(`unterminated start tag <${el.name}`);
        const attr = readName();
        skipSpace();
        if (text[i] !== '=') throw malformed(`attribute ${attr} has no value`);
        i++;
        skipSpace();
        const quote = text[i];
        if (quote !== '"' && quote !== "'") throw malformed(`attribute ${attr} is not quoted`);
        const end = text.indexOf(quote, i + 1);
        if (end < 0) throw malformed(`attribute ${attr} is not terminated`);
        el.attributes[attr] = decodeEntities(text.slice(i + 1, end));
        i = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(el);
      else if (root !== undefined) throw malformed('more than one root element');
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) throw malformed('elements nested too deeply');
      }
    }
  }
  if (stack.length > 0) throw malformed(`element <${stack[stack.length - 1]?.name}> is not closed`);
  if (root === undefined) throw malformed('the document is empty');
  return root;
}

/** The first child element with this name. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** Every child element with this name. */
export function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The text of the first child with this name, or undefined. */
export function childText(el: XmlElement, name: string): string | undefined {
  return child(el, name)?.text;
}

/** Escapes text for XML content and attributes; characters XML 1.0 forbids become references. */
export function escapeXml(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  // eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
  return s.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16)};`;
    }
  });
}

/** A value to serialize: text, a number or boolean, nested elements, or nothing (skipped). */
export type XmlValue = string | number | boolean | undefined | XmlNode[];
/** An element to serialize: `[name, value]`. */
export type XmlNode = readonly [string, XmlValue];

/**
 * The name of a node whose string value is already serialized XML, inserted as is: listings
 * build their thousand `<Contents>` elements as one string instead of a tree of arrays.
 */
export const XML_RAW = '#raw';

/** Matches a character escapeXml changes. */
// eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
const NEEDS_ESCAPE = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function serialize(nodes: readonly XmlNode[]): string {
  let out = '';
  for (const [name, value] of nodes) {
    if (value === undefined) continue;
    if (name === XML_RAW && typeof value === 'string') {
      out += value;
      continue;
    }
    const inner = Array.isArray(value) ? serialize(value) : escapeXml(String(value));
    out += `<${name}>${inner}</${name}>`;
  }
  return out;
}

/** A whole S3 response document with the S3 namespace on its root element. */
export function xmlDocument(
  root: string,
  content: XmlNode[],
  namespace = 'http://s3.amazonaws.com/doc/2006-03-01/',
): string {
  const ns = namespace === '' ? '' : ` xmlns="${namespace}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${serialize(content)}</${root}>`;
}
