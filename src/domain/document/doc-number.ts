/**
 * 发文字号 as GB/T 9704-2012 (7.2.3) writes it: 机关代字, the year in hexagonal brackets 〔〕
 * (U+3014/U+3015), the serial number without zero padding and without 第, then 号 —
 * e.g. 阜政办〔2025〕12号. The number is unique and gap-free per prefix and year (numbering stream).
 */

export interface DocNumberParts {
  prefix: string;
  year: number;
  number: number;
}

/** Same rule as DocNumberPrefix in schemas/common.ts: Han characters, letters or digits. */
const PREFIX = /^[\p{Script=Han}A-Za-z0-9]{1,16}$/u;
const STRICT = /^([\p{Script=Han}A-Za-z0-9]{1,16})〔([0-9]{4})〕([1-9][0-9]{0,8})号$/u;

export function formatDocNumber(prefix: string, year: number, number: number): string {
  if (!PREFIX.test(prefix)) throw new RangeError(`机关代字「${prefix}」不合规范 (invalid prefix)`);
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`年份 ${year} 须为四位数 (invalid year)`);
  if (!Number.isSafeInteger(number) || number < 1 || number > 999_999_999) {
    throw new RangeError(`序号 ${number} 须为正整数 (invalid serial number)`);
  }
  return `${prefix}〔${year}〕${number}号`;
}

/** The parts of a correctly written number, or undefined: 〔2025〕 only, no 第, no leading zeros. */
export function parseDocNumber(text: string): DocNumberParts | undefined {
  const m = STRICT.exec(text);
  if (!m) return undefined;
  return { prefix: m[1]!, year: Number(m[2]), number: Number(m[3]) };
}

export const isDocNumber = (text: string): boolean => STRICT.test(text);

/**
 * Clerks and old systems write the brackets as [ ] ［ ］ 【 】 ( ) （ ） 〔 〕-lookalikes, add 第 or pad
 * the number (阜政办[2025]第012号). Search and import accept those spellings and map them to the
 * standard form; what the ledger itself writes is always formatDocNumber's.
 */
export function normalizeDocNumber(text: string): string | undefined {
  // NFKC turns full-width digits and brackets (２０２５, ［］, （）) into ASCII; 〔〕 and Han are kept.
  const m = /^\s*([\p{Script=Han}A-Za-z0-9]{1,16})\s*[〔\[【(﹝]\s*([0-9]{4})\s*[〕\]】)﹞]\s*第?\s*0*([1-9][0-9]{0,8})\s*号\s*$/u.exec(
    text.normalize('NFKC'),
  );
  if (!m) return undefined;
  return formatDocNumber(m[1]!, Number(m[2]), Number(m[3]));
}
