/**
 * The year a moment falls in, reckoned in the configured zone: a document sealed at
 * 2026-01-01 01:00 in Beijing (2025-12-31T17:00Z) is numbered in 2026, not 2025.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function yearOf(isoTime: string, timeZone: string): number {
  const ms = Date.parse(isoTime);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO time: ${isoTime}`);
  let format = formatters.get(timeZone);
  if (!format) {
    // Throws RangeError for an unknown zone; the gregorian calendar whatever the host's locale.
    format = new Intl.DateTimeFormat('en-US-u-ca-gregory', { timeZone, year: 'numeric' });
    formatters.set(timeZone, format);
  }
  const year = format.formatToParts(ms).find((p) => p.type === 'year');
  if (!year) throw new RangeError(`no year for ${isoTime} in ${timeZone}`);
  return Number(year.value);
}
