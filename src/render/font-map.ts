// The font map and its error, apart from the font loading (fontkit): the main thread names fonts
// and reads this configuration, only the render worker loads the faces.

/**
 * The typefaces GB/T 9704-2012 names, by the role they play on the page, and the font file that
 * plays each role here. Cities that hold licences for 方正小标宋 and 仿宋_GB2312 point the map at
 * those files (GONGWEN_FONT_* variables); the defaults are the free fonts of Debian's
 * fonts-noto-cjk and fonts-arphic-gkai00mp packages, which .ci/run installs. A font file is read
 * from disk once per process and never fetched.
 *
 * A map entry is a file path, or `path#PostScriptName` to choose one face of a collection (.ttc).
 */
export const FONT_ROLES = ['xiaobiaosong', 'fangsong', 'heiti', 'kaiti', 'songti'] as const;
export type FontRole = (typeof FONT_ROLES)[number];
export type FontMap = Record<FontRole, string>;

const NOTO = '/usr/share/fonts/opentype/noto';
export const DEFAULT_FONT_MAP: FontMap = {
  /** 小标宋: the 发文机关标志 and the title. A heavy Ming face is the closest free relative. */
  xiaobiaosong: `${NOTO}/NotoSerifCJK-Bold.ttc#NotoSerifCJKsc-Bold`,
  /** 仿宋: the body and nearly everything else. No free 仿宋 is packaged; a Ming face stands in. */
  fangsong: `${NOTO}/NotoSerifCJK-Regular.ttc#NotoSerifCJKsc-Regular`,
  /** 黑体: 紧急程度 and first-level headings (一、). */
  heiti: `${NOTO}/NotoSansCJK-Regular.ttc#NotoSansCJKsc-Regular`,
  /** 楷体: second-level headings (（一）) and the 签发人's name. */
  kaiti: '/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf',
  /** 宋体: page numbers. */
  songti: `${NOTO}/NotoSerifCJK-Regular.ttc#NotoSerifCJKsc-Regular`,
};

export class FontError extends Error {
  override name = 'FontError';
}

/** Font map from the configuration: each GONGWEN_FONT_<ROLE> replaces the default for its role. */
export function fontMapFrom(config: Partial<Record<`GONGWEN_FONT_${Uppercase<FontRole>}`, string | undefined>>): FontMap {
  const map = { ...DEFAULT_FONT_MAP };
  for (const role of FONT_ROLES) {
    const value = config[`GONGWEN_FONT_${role.toUpperCase() as Uppercase<FontRole>}`];
    if (value) map[role] = value;
  }
  return map;
}
