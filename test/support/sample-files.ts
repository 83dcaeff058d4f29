import { crc32, deflateSync } from 'node:zlib';
import { rawZip } from './raw-zip.ts';

/**
 * Small files that are really of the format their name says (a PDF with its header, objects, xref
 * and %%EOF; OFD and Office Open XML packages as zips with their entry files; a PNG), so that
 * check-package's content checks (src/export/check/content-format.ts) pass on honest packages.
 * `text` varies the content (and so the digest); `size` pads it to about that many bytes.
 */
export function sampleFile(name: string, text: string, size = 0): Buffer {
  const extension = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  const filler = (n: number) => (n > 0 ? `${text} `.repeat(Math.ceil(n / (Buffer.byteLength(text) + 1))).slice(0, n) : '');
  switch (extension) {
    case 'pdf':
      return samplePdf(text, size);
    case 'ofd':
      return storedZip([
        ['OFD.xml', `<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>`],
        ['Doc_0/Document.xml', `<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><!-- ${filler(size)} --></ofd:Document>`],
      ]);
    case 'docx':
    case 'xlsx': {
      const main = extension === 'docx' ? 'word/document.xml' : 'xl/workbook.xml';
      return storedZip([
        ['[Content_Types].xml', `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/${main}" ContentType="application/xml"/></Types>`],
        [main, `<?xml version="1.0" encoding="UTF-8"?><root><!-- ${filler(size)} --></root>`],
      ]);
    }
    case 'png':
      return samplePng(16, 16);
    default:
      return Buffer.from(filler(Math.max(size, text.length)), 'utf8');
  }
}

function samplePdf(text: string, size: number): Buffer {
  const comment = `% ${text.replace(/[\r\n]/g, ' ')}\n`.repeat(Math.max(1, Math.ceil(size / (Buffer.byteLength(text) + 3))));
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'];
  let body = `%PDF-1.4\n${comment}`;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'utf8');
}

/** A zip of stored (uncompressed) entries: local headers, central directory, end record. */
export function storedZip(entries: [string, string | Buffer][]): Buffer {
  return rawZip(entries.map(([name, content]) => ({ name, data: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8') })));
}

/** An RGB PNG with a gradient: signature, IHDR, IDAT and IEND, each chunk with its CRC (node:zlib's crc32). */
export function samplePng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set([x % 256, y % 256, (x * y) % 256], y * (width * 3 + 1) + 1 + x * 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
