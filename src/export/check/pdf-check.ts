import { decodePDFRawStream, EncryptedPDFError, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';

/**
 * 可用性 of a PDF in a package (DA/T 70-2018): it opens (header, cross-reference table, page tree:
 * parsed with pdf-lib, every object read, never rendered), it is not encrypted, and for a 主文档
 * it declares PDF/A (GB/T 18894-2016 archives official documents in a fixed-layout format: the XMP
 * metadata names the part, pdfaid:part). The page count is returned for the 页数 comparison.
 */
export type PdfCheck =
  | { ok: true; pages: number; pdfaPart: string | null }
  | { ok: false; code: 'UNREADABLE' | 'ENCRYPTED'; reason: string };

export async function checkPdf(bytes: Uint8Array): Promise<PdfCheck> {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  if (!/^%PDF-[12]\.\d/.test(header)) return { ok: false, code: 'UNREADABLE', reason: '没有 PDF 文件头 %PDF-1.x' };
  let doc: PDFDocument;
  let pages: number;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: true });
    // Walks the page tree: a file without a catalogue or pages fails here, not later in a reader.
    pages = doc.getPageCount();
  } catch (error) {
    if (error instanceof EncryptedPDFError) return { ok: false, code: 'ENCRYPTED', reason: 'PDF 已加密' };
    return { ok: false, code: 'UNREADABLE', reason: `PDF 无法解析：${(error as Error).message.split('\n')[0]}` };
  }
  if (pages === 0) return { ok: false, code: 'UNREADABLE', reason: 'PDF 没有页面' };
  return { ok: true, pages, pdfaPart: pdfaPart(doc) };
}

/** The PDF/A part the document's XMP metadata declares (pdfaid:part, element or attribute form), or null. */
function pdfaPart(doc: PDFDocument): string | null {
  const ref = doc.catalog.get(PDFName.of('Metadata'));
  const stream = ref ? doc.context.lookup(ref) : undefined;
  if (!(stream instanceof PDFRawStream)) return null;
  let xmp: string;
  try {
    xmp = Buffer.from(decodePDFRawStream(stream).decode()).toString('utf8');
  } catch {
    return null;
  }
  return /pdfaid:part(?:>\s*|\s*=\s*["'])([1-4])/.exec(xmp)?.[1] ?? null;
}
