import yauzl from 'yauzl';

/**
 * Whether a file's bytes are the format its extension names (DA/T 70-2018 可用性: a file in an
 * allowed format that opens as that format; 安全性: a file renamed to pass as another is
 * reported). The checks read the marks every reader of the format relies on, never the whole file:
 *
 *   pdf          %PDF-x.y within the first 1 KB, %%EOF within the last 1 KB (ISO 32000 §7.5)
 *   ofd          a zip whose root holds OFD.xml, the entry file (GB/T 33190-2016 §7.1)
 *   docx, xlsx   a zip holding [Content_Types].xml (ISO/IEC 29500-2 OPC)
 *   doc, xls, wps, et   an OLE2 compound file (D0 CF 11 E0 A1 B1 1A E1)
 *   png          the 8-byte signature, ending with the IEND chunk
 *   jpg, jpeg    SOI (FF D8 FF) at the start, EOI (FF D9) within the last 1 KB
 *   tif, tiff    II*\0 or MM\0*
 *   txt, csv     text: no NUL byte
 *
 * Returns what is wrong, in the clerk's words, or null when the content fits (or the extension has
 * no mark to check: xml, json and yaml are parsed elsewhere).
 */
export async function formatMismatch(extension: string, bytes: Uint8Array): Promise<string | null> {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = (n: number) => b.subarray(0, Math.min(n, b.length));
  const tail = (n: number) => b.subarray(Math.max(0, b.length - n));
  const starts = (...marks: number[]) => marks.every((m, i) => b[i] === m);
  switch (extension) {
    case 'pdf':
      if (!/%PDF-[12]\.\d/.test(head(1024).toString('latin1'))) return '不是 PDF：开头 1 KB 内没有 %PDF- 文件头';
      if (!tail(1024).toString('latin1').includes('%%EOF')) return 'PDF 不完整：结尾 1 KB 内没有 %%EOF 结束标记（文件被截断或不是 PDF）';
      return null;
    case 'ofd':
      return zipHolding(b, (name) => name === 'OFD.xml', '不是 OFD：不是含根目录 OFD.xml 入口文件的 ZIP 包');
    case 'docx':
    case 'xlsx':
      return zipHolding(b, (name) => name === '[Content_Types].xml', `不是 ${extension.toUpperCase()}：不是含 [Content_Types].xml 的 Office Open XML 包`);
    case 'doc':
    case 'xls':
    case 'wps':
    case 'et':
      return starts(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1) ? null : `不是 .${extension} 文件：没有 OLE2 复合文档标志`;
    case 'png':
      if (!starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return '不是 PNG：没有 PNG 文件签名';
      return tail(12).subarray(4, 8).toString('latin1') === 'IEND' ? null : 'PNG 不完整：不以 IEND 块结束';
    case 'jpg':
    case 'jpeg':
      if (!starts(0xff, 0xd8, 0xff)) return '不是 JPEG：没有 SOI 标志（FF D8 FF）';
      return tail(1024).includes(Buffer.from([0xff, 0xd9])) ? null : 'JPEG 不完整：没有 EOI 结束标志（FF D9）';
    case 'tif':
    case 'tiff':
      return starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a) ? null : '不是 TIFF：没有 II*/MM* 文件头';
    case 'txt':
    case 'csv':
      return b.includes(0) ? `不是文本文件：含有 NUL 字节（二进制内容改了 .${extension} 扩展名）` : null;
    default:
      return null;
  }
}

/** Lists a zip's entries from memory (yauzl reads the central directory; nothing is extracted). */
async function zipHolding(bytes: Buffer, wanted: (name: string) => boolean, problem: string): Promise<string | null> {
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)) return problem;
  try {
    const found = await new Promise<boolean>((resolve, reject) => {
      yauzl.fromBuffer(bytes, { lazyEntries: true, decodeStrings: false, validateEntrySizes: false }, (error, zip) => {
        if (error || !zip) return reject(error ?? new Error('no zip'));
        zip.on('entry', (entry: yauzl.Entry) => {
          if (wanted((entry.fileName as unknown as Buffer).toString('utf8'))) {
            zip.close();
            resolve(true);
          } else zip.readEntry();
        });
        zip.on('end', () => resolve(false));
        zip.on('error', reject);
        zip.readEntry();
      });
    });
    return found ? null : problem;
  } catch (error) {
    return `${problem}（ZIP 目录无法读取：${(error as Error).message}）`;
  }
}
