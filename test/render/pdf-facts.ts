import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A word as poppler's pdftotext -bbox reads it from the PDF, in points from the page's top left. */
export interface Word {
  page: number;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
  text: string;
}

async function withFile<T>(pdf: Buffer, work: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'gongwen-pdf-'));
  try {
    const file = join(dir, 'doc.pdf');
    await writeFile(file, pdf);
    return await work(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

export async function pdfWords(pdf: Buffer): Promise<{ pages: { width: number; height: number }[]; words: Word[] }> {
  const { stdout } = await withFile(pdf, (file) => run('pdftotext', ['-bbox', file, '-'], { maxBuffer: 256 * 1024 * 1024 }));
  const pages: { width: number; height: number }[] = [];
  const words: Word[] = [];
  for (const line of stdout.split('\n')) {
    const p = /<page width="([\d.]+)" height="([\d.]+)">/.exec(line);
    if (p) pages.push({ width: Number(p[1]), height: Number(p[2]) });
    const w = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)<\/word>/.exec(line);
    if (w) words.push({ page: pages.length, xMin: Number(w[1]), yMin: Number(w[2]), xMax: Number(w[3]), yMax: Number(w[4]), text: unescape(w[5]!) });
  }
  return { pages, words };
}

export async function pdfInfo(pdf: Buffer): Promise<string> {
  return (await withFile(pdf, (file) => run('pdfinfo', [file]))).stdout;
}

export async function pdfFonts(pdf: Buffer): Promise<string> {
  return (await withFile(pdf, (file) => run('pdffonts', [file]))).stdout;
}

/**
 * The bounding box (points) of the red ink on one page, from the page rasterised at
 * 72 dpi by pdftoppm (one pixel per point), between `fromY` and `toY`: where the red really is.
 */
export async function redInk(pdf: Buffer, page: number, fromY: number, toY = Infinity): Promise<{ xMin: number; yMin: number; xMax: number; yMax: number } | null> {
  return withFile(pdf, async (file, dir) => {
    await run('pdftoppm', ['-r', '72', '-f', String(page), '-l', String(page), file, join(dir, 'p')]);
    const { readdir } = await import('node:fs/promises');
    const name = (await readdir(dir)).find((f) => f.endsWith('.ppm'))!;
    const ppm = await readFile(join(dir, name));
    // P6 header: magic, width, height, maxval, each followed by whitespace.
    const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString('latin1'))!;
    const [width, height, offset] = [Number(header[1]), Number(header[2]), header[0].length];
    let box: { xMin: number; yMin: number; xMax: number; yMax: number } | null = null;
    for (let y = Math.max(0, Math.floor(fromY)); y < Math.min(height, toY); y++) {
      for (let x = 0; x < width; x++) {
        const i = offset + (y * width + x) * 3;
        if (ppm[i]! > 150 && ppm[i + 1]! < 100 && ppm[i + 2]! < 100) {
          box = box ? { xMin: Math.min(box.xMin, x), yMin: Math.min(box.yMin, y), xMax: Math.max(box.xMax, x), yMax: Math.max(box.yMax, y) } : { xMin: x, yMin: y, xMax: x, yMax: y };
        }
      }
    }
    return box;
  });
}
