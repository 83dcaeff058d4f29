/**
 * 档号 (archival code) templates. Which form an archive uses is its own rule, so the form is
 * configuration: a pattern of placeholders joined by separators. Both forms of the standards are
 * built in; see README.md in this folder for the rules they follow.
 */

export type RetentionCode = 'Y' | 'D30' | 'D10';

/** What one item's 档号 is made of. Empty fonds or organisation means the unit has none. */
export interface ArchivalCodeParts {
  /** 全宗号; absent when the archives bureau has not assigned one yet. */
  fondsCode?: string | null;
  /** 门类代码; 文书 (WS) unless the template says otherwise. */
  category?: string;
  /** 年度 */
  year: number;
  /** 保管期限 */
  retention: RetentionCode;
  /** 机构（问题）代码, an optional level of the arrangement. */
  organisation?: string | null;
  /** 件号, from 1 within its group. */
  itemNo: number;
}

export type Placeholder = 'fonds' | 'category' | 'year' | 'retention' | 'organisation' | 'item';

interface Slot {
  key: Placeholder;
  /** The separator that joins this slot to the one before it. */
  before: string;
  /** Zero-padding width (件号). */
  width: number;
}

export interface ArchivalCodeTemplate {
  /** Short name for configuration and reports, e.g. 'DA/T 22-2015'. */
  id: string;
  pattern: string;
  /**
   * Whether 件号 restarts per organisation. A template without {organisation} numbers the whole
   * fonds + year + retention in one run; with it, each organisation gets its own run, because two
   * items of different organisations would otherwise get codes differing only in the organisation.
   */
  usesOrganisation: boolean;
  format(parts: ArchivalCodeParts): string;
}

const PLACEHOLDERS: readonly Placeholder[] = ['fonds', 'category', 'year', 'retention', 'organisation', 'item'];
/** The levels a code cannot do without: a code with no year, retention or item number identifies nothing. */
const REQUIRED: ReadonlySet<Placeholder> = new Set(['year', 'retention', 'item']);
/** Characters that separate or join levels: a value containing one would make the code ambiguous. */
const SEPARATOR_CHARS = /[-·.\s/]/u;

/**
 * Builds a template from a pattern such as `{fonds}-{category}·{year}-{retention}-{organisation}-{item:4}`.
 * The text between two placeholders is the separator that joins them. A placeholder whose value
 * is empty is left out together with the separator in front of it (or, for the first one, the
 * separator after it): `0001-WS·2025-Y-0012` without an organisation, `WS·2025-Y-BGS-0012` without
 * a 全宗号 — the DA/T 22-2015 rule that a unit without 全宗号 drops the first segment.
 */
export function archivalCodeTemplate(id: string, pattern: string, opts: { category?: string } = {}): ArchivalCodeTemplate {
  const category = opts.category ?? 'WS';
  const slots: Slot[] = [];
  const re = /\{([a-z]+)(?::(\d+))?\}/g;
  let last = 0;
  let prefix = '';
  for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
    const key = m[1] as Placeholder;
    if (!PLACEHOLDERS.includes(key)) throw new Error(`档号模板 ${id}: 未知的占位符 {${m[1]}}（可用：${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}）`);
    if (slots.some((s) => s.key === key)) throw new Error(`档号模板 ${id}: 占位符 {${key}} 出现了两次`);
    const between = pattern.slice(last, m.index);
    if (slots.length === 0) prefix = between;
    else if (between === '') throw new Error(`档号模板 ${id}: {${slots.at(-1)!.key}} 与 {${key}} 之间须有分隔符`);
    const width = m[2] === undefined ? 0 : Number(m[2]);
    if (width > 12) throw new Error(`档号模板 ${id}: {${key}:${width}} 位数过大`);
    slots.push({ key, before: slots.length === 0 ? '' : between, width });
    last = m.index + m[0].length;
  }
  const suffix = pattern.slice(last);
  for (const key of REQUIRED) {
    if (!slots.some((s) => s.key === key)) throw new Error(`档号模板 ${id}: 缺少必备的 {${key}}（年度、保管期限和件号是档号的必备项）`);
  }

  const value = (slot: Slot, parts: ArchivalCodeParts): string => {
    switch (slot.key) {
      case 'fonds':
        return parts.fondsCode ?? '';
      case 'category':
        return parts.category ?? category;
      case 'year':
        return String(parts.year).padStart(slot.width, '0');
      case 'retention':
        return parts.retention;
      case 'organisation':
        return parts.organisation ?? '';
      case 'item':
        return String(parts.itemNo).padStart(slot.width, '0');
    }
  };

  return {
    id,
    pattern,
    usesOrganisation: slots.some((s) => s.key === 'organisation'),
    format(parts) {
      if (!Number.isSafeInteger(parts.itemNo) || parts.itemNo < 1) throw new RangeError(`件号须为正整数: ${parts.itemNo}`);
      let out = '';
      for (const slot of slots) {
        const v = value(slot, parts);
        if (v === '') continue;
        if (SEPARATOR_CHARS.test(v)) throw new RangeError(`档号的 ${slot.key} 含有分隔符，档号将无法解读: ${v}`);
        out += out === '' ? v : slot.before + v;
      }
      return prefix + out + suffix;
    },
  };
}

/** DA/T 22-2015 归档文件整理规则: `全宗号-门类代码·年度-保管期限-机构代码-件号`, e.g. 0194-WS·2016-D30-BGS-0001. */
export const DAT22_2015 = archivalCodeTemplate('DA/T 22-2015', '{fonds}-{category}·{year}-{retention}-{organisation}-{item:4}');

/** DA/T 13-2022 档号编制规则: year, retention and organisation in one class segment, e.g. Z109-WS·2011·Y·办公室-0001. */
export const DAT13_2022 = archivalCodeTemplate('DA/T 13-2022', '{fonds}-{category}·{year}·{retention}·{organisation}-{item:4}');

export const builtInArchivalCodeTemplates: Readonly<Record<string, ArchivalCodeTemplate>> = {
  [DAT22_2015.id]: DAT22_2015,
  [DAT13_2022.id]: DAT13_2022,
};

/**
 * A template from configuration: the id of a built-in form ('DA/T 22-2015', 'DA/T 13-2022', also
 * without spaces or slash, e.g. DAT13-2022) or a pattern of its own.
 */
export function resolveArchivalCodeTemplate(spec: string): ArchivalCodeTemplate {
  const squash = (s: string) => s.replace(/[\s/]/g, '').toUpperCase();
  const builtIn = Object.values(builtInArchivalCodeTemplates).find((t) => squash(t.id) === squash(spec));
  if (builtIn) return builtIn;
  if (!spec.includes('{')) {
    throw new Error(`档号模板 "${spec}" 既不是内置格式（${Object.keys(builtInArchivalCodeTemplates).join('、')}）也不是占位符模板`);
  }
  return archivalCodeTemplate('custom', spec);
}
