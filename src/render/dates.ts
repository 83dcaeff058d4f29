/** A date as 公文 write it: Arabic numerals, the full year, no leading zeros (2025年3月9日). */
export function chineseDate(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date(iso));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return `${get('year')}年${get('month')}月${get('day')}日`;
}
