/**
 * The fixed-layout rendering (src/render/): pages per second and peak memory of a 100-page 公文,
 * and documents per second for an ordinary two-page one. Rendering needs no database; it runs in
 * a child process of its own so that the peak resident memory reported is the rendering's.
 *
 * BENCH_RENDER_PAGES (100) sets the long document's length, BENCH_RENDER_ROUNDS (3) how often
 * each document is rendered after the first (warm) render.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { renderDocument } from '../src/render/index.ts';
import { sealPictureSvg } from '../src/seal/seal-picture.ts';
import { peakRssKb } from './vm-hwm.mjs';

const PARAGRAPH =
  '各地、各部门要坚持人民至上、生命至上，统筹发展和安全，压紧压实安全生产责任，全面排查整治各类风险隐患（含“三查三改”），' +
  '严格执行24小时值班和领导带班制度，确保2025年春节期间全市安全形势总体稳定。';

function input(paragraphs: number) {
  return {
    documentId: 'bench',
    contentDigest: '0'.repeat(64),
    issuerName: '阜阳市人民政府办公室',
    docNumber: '阜政办〔2025〕12号',
    docType: '通知',
    urgency: '平件',
    title: '阜阳市人民政府办公室关于做好2025年春节期间安全生产工作的通知',
    body: Array.from({ length: paragraphs }, (_, i) => (i % 9 === 0 ? `${'一二三四五六七八九十'[(i / 9) % 10]}、工作要求` : PARAGRAPH)).join('\n'),
    attachments: ['检查表.docx'],
    mainRecipients: ['各县（市、区）人民政府', '市政府各部门'],
    ccRecipients: ['市委各部门', '市人大常委会办公室'],
    remarks: '此件公开发布',
    signerName: null,
    documentDate: '2025-01-10T02:00:00.000Z',
    printedAt: '2025-01-10T06:30:00.000Z',
    seal: { svg: sealPictureSvg({ name: '阜阳市人民政府办公室', sealType: '单位公章' }), widthMm: 42, heightMm: 42 },
  };
}

async function child(): Promise<void> {
  const pages = Number(process.env.BENCH_RENDER_PAGES ?? 100);
  const rounds = Number(process.env.BENCH_RENDER_ROUNDS ?? 3);
  let t = performance.now();
  await renderDocument(input(3));
  const firstRenderMs = performance.now() - t;
  // Paragraphs for the requested length: each is about 3.4 lines, a page 22 lines.
  let paragraphs = Math.round((pages * 22) / 3.4);
  let long = await renderDocument(input(paragraphs));
  while (long.pageCount !== pages && paragraphs > 1) {
    paragraphs += Math.sign(pages - long.pageCount) * Math.max(1, Math.round((Math.abs(pages - long.pageCount) * 22) / 3.4));
    long = await renderDocument(input(paragraphs));
    if (Math.abs(long.pageCount - pages) <= 1) break;
  }
  t = performance.now();
  for (let i = 0; i < rounds; i++) await renderDocument(input(paragraphs));
  const longMs = (performance.now() - t) / rounds;
  const short = await renderDocument(input(6));
  t = performance.now();
  for (let i = 0; i < rounds * 3; i++) await renderDocument(input(6));
  const shortMs = (performance.now() - t) / (rounds * 3);
  process.send!({
    firstRenderMsIncludingFontLoading: Math.round(firstRenderMs),
    long: { pages: long.pageCount, bytes: long.byteLength, ms: Math.round(longMs), pagesPerSecond: Number(((long.pageCount * 1000) / longMs).toFixed(1)) },
    short: { pages: short.pageCount, bytes: short.byteLength, ms: Math.round(shortMs), documentsPerSecond: Number((1000 / shortMs).toFixed(2)) },
    peakRssMb: Math.round(peakRssKb() / 1024),
  });
}

export async function benchRender(): Promise<unknown> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = fork(self, [], { env: { ...process.env, BENCH_RENDER_CHILD: '1' }, execArgv: ['--import', 'tsx'] });
    proc.once('message', resolve);
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`render bench exited ${code}`))));
  });
}

if (process.env.BENCH_RENDER_CHILD) await child();
else if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await benchRender(), null, 2));
