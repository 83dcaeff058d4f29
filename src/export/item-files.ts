import { canonicalJson } from '../integrity/canonical-json.ts';
import type { ItemRecord } from './dossier-source.ts';
import { extensionFor } from '../../archive-formats/dat48-eep/formats.ts';

/** One computer file of an item: what its EEP 编码 describes and what the package folder holds. */
export interface ItemFile {
  /** 主文档 for the 正文 (or its fixed-layout rendering), 附属文档 for the rest. */
  main: boolean;
  /** What the file is, for the 文档's 题名: 正文, the attachment's own name, 印章记录. */
  title: string;
  /** The name in the package: chosen here, never the name a user gave (that may hold ../ or NUL). */
  fileName: string;
  extension: string;
  mediaType: string;
  bytes: Uint8Array;
}

/**
 * The files of one item, in the order the EEP lists them. The one place that decides what an item
 * consists of; every format (EEP, package folder, manifests, register) follows it.
 *
 * GB/T 18894-2016 archives an official document in a fixed layout: the recorded rendering (PDF/A,
 * DocumentRendered) is the 主文档 and the 正文 text rides along as a 附属文档, still searchable.
 * A document with no rendering recorded before the close (sealed before the ledger rendered)
 * keeps its 正文 text as the 主文档.
 */
export function itemFiles(r: ItemRecord): ItemFile[] {
  return [...renderingFiles(r), bodyFile(r, !r.rendering), ...attachmentFiles(r), ...sealFiles(r)];
}

function renderingFiles(r: ItemRecord): ItemFile[] {
  if (!r.rendering) return [];
  return [{ main: true, title: `版式文件（${r.rendering.recorded.format}）`, fileName: '版式文件.pdf', extension: 'pdf', mediaType: 'application/pdf', bytes: r.rendering.pdf }];
}

function bodyFile(r: ItemRecord, main: boolean): ItemFile {
  return { main, title: '正文', fileName: '正文.txt', extension: 'txt', mediaType: 'text/plain; charset=UTF-8', bytes: Buffer.from(r.document.content.body, 'utf8') };
}

function attachmentFiles(r: ItemRecord): ItemFile[] {
  return r.attachments.map((a, i) => {
    const extension = extensionFor(a.name, a.mediaType);
    return { main: false, title: a.name, fileName: `附件${i + 1}.${extension}`, extension, mediaType: a.mediaType, bytes: a.bytes };
  });
}

/**
 * 印章记录: the sealing, the seal's record (GB/T 38540 shape, signed by the ledger as issuer), its
 * history up to the closing and the sealed content, so a receiving archive verifies the seal from
 * the package alone (check-package does).
 */
function sealFiles(r: ItemRecord): ItemFile[] {
  if (!r.sealing || !r.sealRecord || !r.content) return [];
  const evidence = { format: SEAL_EVIDENCE_FORMAT, version: 1, content: r.content, sealing: r.sealing, sealRecord: r.sealRecord, sealHistory: r.sealHistory };
  return [{ main: false, title: '印章记录', fileName: '印章记录.json', extension: 'json', mediaType: 'application/json', bytes: Buffer.from(canonicalJson(evidence), 'utf8') }];
}

export const SEAL_EVIDENCE_FORMAT = 'gongwen-seal-evidence';
