/**
 * The XML the exporter writes, escaped by construction: every text and attribute value passes
 * through `text`/`attr`, which escape the five markup characters and carriage returns, and refuse
 * what XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/FFFF) with an
 * error naming the field — never a file that does not parse.
 */

export class XmlContentError extends Error {
  override name = 'XmlContentError';
}

const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function check(value: string, field: string): void {
  if (ILLEGAL.test(value) || hasLoneSurrogate(value)) {
    throw new XmlContentError(`「${field}」含有 XML 不能表示的字符（控制字符或不成对的代理项），拒绝导出 (illegal character in ${field})`);
  }
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (!(n >= 0xdc00 && n <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Element content: & < > escaped; CR kept as a reference so a parser does not turn it into LF. */
export function text(value: string | number, field = 'text'): string {
  const s = String(value);
  check(s, field);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Attribute value (written in double quotes): also quotes and whitespace a parser would normalise. */
export function attr(value: string | number, field = 'attribute'): string {
  return text(value, field).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

/** `<name>value</name>`, or nothing for an absent value. */
export function el(name: string, value: string | number | null | undefined, field = name): string {
  if (value === null || value === undefined || value === '') return '';
  return `<${name}>${text(value, field)}</${name}>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

