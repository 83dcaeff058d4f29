/**
 * Calendar dates of the catalogue, reckoned in the ledger's time zone: a document signed off at
 * 2026-01-01 01:00 in Beijing (2025-12-31T17:00Z) is dated 20260101 and belongs to 2026.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // The gregorian calendar whatever the host's locale; throws RangeError for an unknown zone.
    f = new Intl.DateTimeFormat('en-US-u-ca-gregory-nu-latn', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalDate {
  year: number;
  /** 8 digits, yyyymmdd: the 日期 column of the 归档文件目录. */
  yyyymmdd: string;
}

export function localDate(isoTime: string, timeZone: string): LocalDate {
  const ms = Date.parse(isoTime);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO time: ${isoTime}`);
  const parts = formatter(timeZone).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const year = get('year');
  if (!/^\d{4}$/.test(year)) throw new RangeError(`year outside 4 digits for ${isoTime}`);
  return { year: Number(year), yyyymmdd: `${year}${get('month')}${get('day')}` };
}
