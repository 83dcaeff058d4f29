import { readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
import { sm3Hex } from '../integrity/sm3.ts';

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

export interface LoadedFont {
  /** The map entry it was loaded from. */
  source: string;
  postscriptName: string;
  /** SM3 of the font file: a rendering is only reproducible with the same files. */
  fileSm3: string;
  font: fontkit.Font;
  buffer: Buffer;
  unitsPerEm: number;
  /** Ascent in em units (for placing text by its baseline). */
  ascent: number;
  /** Advance of a character in em units; null when the face has no glyph for it. */
  advance(ch: string): number | null;
}

export type FontSet = Record<FontRole, LoadedFont>;

const loaded = new Map<string, LoadedFont>();

function loadFont(source: string): LoadedFont {
  const cached = loaded.get(source);
  if (cached) return cached;
  const hash = source.lastIndexOf('#');
  const path = hash > 0 ? source.slice(0, hash) : source;
  const face = hash > 0 ? source.slice(hash + 1) : undefined;
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (error) {
    throw new FontError(
      `找不到字体文件 ${path}：请安装 fonts-noto-cjk 与 fonts-arphic-gkai00mp，或用 GONGWEN_FONT_* 指定字体 (font file not readable: ${(error as Error).message})`,
    );
  }
  let created: fontkit.Font | fontkit.FontCollection | null;
  try {
    created = fontkit.create(buffer, face);
  } catch (error) {
    throw new FontError(`字体文件 ${path} 无法读取 (not a font: ${(error as Error).message})`);
  }
  if (!created || 'fonts' in created) {
    throw new FontError(`字体集 ${path} 须写明字形名，如 ${path}#${(created as fontkit.FontCollection | null)?.fonts?.[0]?.postscriptName ?? 'PostScriptName'} (a collection needs a face name)`);
  }
  const font = created;
  const upm = font.unitsPerEm;
  const advances = new Map<string, number | null>();
  const result: LoadedFont = {
    source,
    postscriptName: font.postscriptName,
    fileSm3: sm3Hex(buffer),
    font,
    buffer,
    unitsPerEm: upm,
    ascent: font.ascent / upm,
    advance(ch) {
      let a = advances.get(ch);
      if (a === undefined) {
        const cp = ch.codePointAt(0)!;
        a = font.hasGlyphForCodePoint(cp) ? font.glyphForCodePoint(cp).advanceWidth / upm : null;
        advances.set(ch, a);
      }
      return a;
    },
  };
  loaded.set(source, result);
  return result;
}

export function loadFontSet(map: FontMap = DEFAULT_FONT_MAP): FontSet {
  return Object.fromEntries(FONT_ROLES.map((role) => [role, loadFont(map[role])])) as FontSet;
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
