import { readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
import { sm3Hex } from '../integrity/sm3.ts';
import { DEFAULT_FONT_MAP, FONT_ROLES, FontError, type FontMap, type FontRole } from './font-map.ts';

export { DEFAULT_FONT_MAP, FONT_ROLES, FontError, fontMapFrom, type FontMap, type FontRole } from './font-map.ts';

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
