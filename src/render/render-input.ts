/**
 * What a rendering is made from: the sealed content with the names it shows (units and the
 * signer as they were when the document was sealed), the 成文日期 and 印发日期, and the seal
 * record's picture. Everything is a plain value, so rendering is a pure function of it.
 */
export interface RenderInput {
  documentId: string;
  /** SM3 of the sealed content (DocumentSealed.contentDigest): the rendering is of that content. */
  contentDigest: string;
  /** 发文机关 name as it was at sealing: the 发文机关标志, 署名 and 印发机关. */
  issuerName: string;
  docNumber: string;
  docType: string;
  urgency: string;
  title: string;
  body: string;
  /** Names of the attachments, in order (附件说明). */
  attachments: string[];
  /** 主送机关 and 抄送机关 names, in the document's order. */
  mainRecipients: string[];
  ccRecipients: string[];
  /** 附注. */
  remarks: string | null;
  /** 签发人 (shown on 上行文: 请示, 报告). */
  signerName: string | null;
  /** 成文日期: the sign-off time (ISO). */
  documentDate: string;
  /** 印发日期: the sealing time (ISO); also the PDF's creation date, so renders are identical. */
  printedAt: string;
  /** The seal record's picture (SVG) and its size in mm; null renders no impression. */
  seal: { svg: string; widthMm: number; heightMm: number } | null;
}

/** Layout settings besides the fonts. */
export interface LayoutSettings {
  /** Zone in which the 成文日期 and 印发日期 are written. */
  timeZone: string;
}
