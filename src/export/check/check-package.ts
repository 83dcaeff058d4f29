import { createHash } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';
import { archivalCodeTemplate, type ArchivalCodeTemplate } from '../../../archive-formats/archival-code/index.ts';
import { ALLOWED_FORMATS, looksExecutable } from '../../../archive-formats/dat48-eep/formats.ts';
import { verifyEepSignature } from '../../../archive-formats/dat48-eep/verify.ts';
import { checkPdf } from './pdf-check.ts';
import { formatMismatch } from './content-format.ts';
import { sm3Hex } from '../../integrity/sm3.ts';
import { verifySealedDocument, type SealEvidence } from '../../seal/verify-sealed-document.ts';
import { SEAL_EVIDENCE_FORMAT } from '../item-files.ts';
import { packageEntries, type PackageEntry } from './package-source.ts';

/**
 * 四性检测 (DA/T 70-2018) of a transfer package — ours or another system's — read in place: no file
 * is ever written. Each finding names the check, a stable code, the item (档号 or path) and what is
 * wrong; the package passes when there are none. The rules are listed in
 * archive-formats/transfer-package/README.md.
 */

export type Aspect = 'authenticity' | 'integrity' | 'usability' | 'security';
export const ASPECT_WORDS: Record<Aspect, string> = { authenticity: '真实性', integrity: '完整性', usability: '可用性', security: '安全性' };

export interface Finding {
  aspect: Aspect;
  code: string;
  /** The item's 档号, or the path of the file concerned. */
  item: string;
  message: string;
}

export interface CheckReport {
  package: string;
  passed: boolean;
  standard: 'DA/T 70-2018';
  counts: { entries: number; files: number; items: number; bytes: number };
  aspects: Record<Aspect, { passed: boolean; failures: number }>;
  findings: Finding[];
  /** The EEP signers' key ids (for the receiver to compare with the ledger key they trust). */
  signers: string[];
}

export interface CheckOptions {
  /** Ledger public keys the checker trusts; none given: the signature must verify under the key the file carries. */
  trustedKeys?: readonly string[];
  /** A DA/T 48 XSD to validate every EEP against when the package does not carry one. */
  xsd?: Buffer | undefined;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: true, processEntities: true });
const EXECUTABLE_EXTENSIONS = new Set(['exe', 'com', 'bat', 'cmd', 'sh', 'ps1', 'vbs', 'js', 'jar', 'msi', 'dll', 'scr', 'so', 'dylib', 'py', 'pl', 'php', 'lnk']);
const RETENTIONS: Record<string, string> = { 永久: 'Y', 定期30年: 'D30', 定期10年: 'D10' };
const MANIFEST = /^manifest-(md5|sha256|sm3)\.txt$/;

interface EepSummary {
  path: string;
  folder: string;
  code: string;
  year: string;
  retention: string;
  fonds: string;
  organisation: string;
  itemNo: number;
  files: { fileName: string; size: number; sm3: string }[];
  /** The 主文档 PDFs the EEP carries, for checkPdfs (then dropped, so memory stays per item). */
  pdfs: { fileName: string; bytes: Buffer }[];
  /** The other files it carries, for checkEmbeddedFormats (then dropped likewise). */
  embedded: { fileName: string; extension: string; bytes: Buffer }[];
  /** 形式特征/页数, when given. */
  pages: number | null;
}

interface FileSummary {
  size: number;
  md5: string;
  sha256: string;
  sm3: string;
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? String((v as Record<string, unknown>)['#text'] ?? '') : String(v)).trim();

/** Why a name is unsafe to use as a path inside a package, or null when it is safe. */
export function unsafePath(path: string): string | null {
  if (path.includes('\u0000')) return '含有 NUL 字符';
  if (path.includes('\\')) return '含有反斜杠（在 Windows 上是路径分隔符）';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return '是绝对路径';
  if (path.split('/').some((s) => s === '..')) return '含有 ..，会指向包外';
  return null;
}

export async function checkPackage(location: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const findings: Finding[] = [];
  const add = (aspect: Aspect, code: string, item: string, message: string) => findings.push({ aspect, code, item, message });
  const files = new Map<string, FileSummary>();
  const eeps: EepSummary[] = [];
  const eepBytes: { path: string; bytes: Buffer }[] = [];
  const manifests = new Map<string, Map<string, string>>();
  const signers = new Set<string>();
  let register: Record<string, unknown> | null = null;
  let catalogue: { path: string; rows: Record<string, unknown>[] } | null = null;
  let rules: string | null = null;
  let packagedXsd: Buffer | null = null;
  let entries = 0;
  const seen = new Set<string>();

  for await (const entry of packageEntries(location)) {
    entries++;
    const p = entry.path;
    const bad = unsafePath(p);
    if (bad) {
      add('security', 'UNSAFE_PATH', p, `路径「${p}」${bad}，拒绝读取 (unsafe path)`);
      continue;
    }
    if (entry.kind === 'symlink') {
      add('security', 'LINK', p, `「${p}」是符号链接，包内不允许链接 (link in package)`);
      continue;
    }
    if (entry.kind === 'other') {
      add('security', 'SPECIAL_FILE', p, `「${p}」不是普通文件 (special file)`);
      continue;
    }
    if (entry.kind === 'directory') continue;
    if (seen.has(p)) add('security', 'DUPLICATE_ENTRY', p, `「${p}」在包中出现两次 (duplicate entry)`);
    seen.add(p);
    if (entry.encrypted) {
      add('usability', 'ENCRYPTED', p, `「${p}」被加密，无法读取 (encrypted)`);
      continue;
    }
    const bytes = await entry.read();
    const ext = /\.([^./]+)$/.exec(p)?.[1]?.toLowerCase() ?? '';
    if (EXECUTABLE_EXTENSIONS.has(ext) || looksExecutable(bytes)) {
      add('security', 'EXECUTABLE', p, `「${p}」是可执行文件或脚本 (executable)`);
      continue;
    }
    if (!(ext in ALLOWED_FORMATS) && !MANIFEST.test(p)) add('usability', 'FORMAT_NOT_ALLOWED', p, `「${p}」的格式（.${ext || '无扩展名'}）不在允许的归档格式之内 (format not allowed)`);
    else {
      const wrong = await formatMismatch(ext, bytes);
      if (wrong) add('usability', 'FORMAT_MISMATCH', p, `「${p}」${wrong} (content is not the format its extension names)`);
    }
    files.set(p, { size: bytes.length, md5: hash('md5', bytes), sha256: hash('sha256', bytes), sm3: sm3Hex(bytes) });

    const manifest = MANIFEST.exec(p);
    if (manifest && !p.includes('/')) {
      manifests.set(manifest[1]!, parseManifest(bytes.toString('utf8')));
      continue;
    }
    if (ext === 'eep') {
      const summary = checkEep(p, bytes, opts, add, signers);
      if (summary) {
        await checkPdfs(summary, add);
        await checkEmbeddedFormats(summary, add);
        eeps.push(summary);
      }
      eepBytes.push({ path: p, bytes });
      if (eepBytes.reduce((n, e) => n + e.bytes.length, 0) > 16 * 1024 * 1024) await validateBatch(eepBytes.splice(0), opts.xsd ?? packagedXsd, add);
      continue;
    }
    if (ext === 'xml' || ext === 'xsd') {
      const text = bytes.toString('utf8');
      const valid = XMLValidator.validate(text);
      if (valid !== true && !/encoding="GB18030"/.test(text.slice(0, 100))) {
        add('usability', 'XML_MALFORMED', p, `「${p}」不是格式良好的 XML：${valid.err.msg} (malformed XML)`);
        continue;
      }
      if (ext === 'xsd') packagedXsd = bytes;
      else if (valid === true) {
        const doc = parser.parse(text) as Record<string, any>;
        if (doc['移交登记表']) register = doc['移交登记表'];
        if (doc['文件目录'] && !p.includes('/')) catalogue = { path: p, rows: asArray(doc['文件目录']['文件']) };
      }
    }
    if (p.endsWith('档号编制规则.txt')) rules = bytes.toString('utf8');
  }
  if (eepBytes.length > 0) await validateBatch(eepBytes.splice(0), opts.xsd ?? packagedXsd, add);

  checkManifests(manifests, files, add);
  checkContentFiles(eeps, files, add);
  checkCodes(eeps, rules, add);
  checkRegisterAndCatalogue(eeps, files, register, catalogue, add);

  const aspects = Object.fromEntries(
    (Object.keys(ASPECT_WORDS) as Aspect[]).map((a) => {
      const n = findings.filter((f) => f.aspect === a).length;
      return [a, { passed: n === 0, failures: n }];
    }),
  ) as CheckReport['aspects'];
  return {
    package: location,
    passed: findings.length === 0,
    standard: 'DA/T 70-2018',
    counts: { entries, files: files.size, items: eeps.length, bytes: [...files.values()].reduce((n, f) => n + f.size, 0) },
    aspects,
    findings,
    signers: [...signers].sort(),
  };
}

const hash = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const m = /^([0-9a-fA-F]+) {2}(.+)$/.exec(line.replace(/\r$/, ''));
    if (m) out.set(m[2]!, m[1]!.toLowerCase());
  }
  return out;
}

type Add = (aspect: Aspect, code: string, item: string, message: string) => void;

function checkEep(path: string, bytes: Buffer, opts: CheckOptions, add: Add, signers: Set<string>): EepSummary | null {
  const text = bytes.toString('utf8');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    add('usability', 'XML_MALFORMED', path, `EEP「${path}」不是格式良好的 XML：${valid.err.msg} (malformed EEP)`);
    return null;
  }
  const root = (parser.parse(text) as Record<string, any>)['电子文件封装包'];
  const entity = root?.['被签名对象']?.['封装内容']?.['文件实体块']?.['文件实体'];
  const codeEl = entity?.['档号'];
  const code = str(codeEl) || path;
  const signature = verifyEepSignature(bytes, opts.trustedKeys ?? []);
  if (signature.keyId) signers.add(signature.keyId);
  for (const problem of signature.problems) add('authenticity', 'SIGNATURE_INVALID', code, `${code}：${problem}`);
  if (!entity) {
    add('integrity', 'METADATA_MISSING', code, `EEP「${path}」没有文件实体 (no file entity)`);
    return null;
  }
  const content = entity['内容描述'] ?? {};
  const required: [string, unknown][] = [
    ['立档单位名称', entity['来源']?.['立档单位名称']],
    ['电子文件号', entity['电子文件号']],
    ['档号', str(codeEl)],
    ['年度', codeEl?.['年度']],
    ['保管期限', codeEl?.['保管期限']],
    ['室编件号', codeEl?.['室编件号']],
    ['题名', content['题名']],
    ['责任者', content['责任者']],
    ['日期', content['日期']],
    ['密级', content['密级']],
    ['脱机载体编号', entity['存储位置']?.['脱机载体编号']],
  ];
  for (const [name, value] of required) if (!str(value)) add('integrity', 'METADATA_MISSING', code, `${code}：缺少必备元数据「${name}」(required metadata missing)`);
  const year = str(codeEl?.['年度']);
  const date = str(content['日期']);
  const itemNo = Number(str(codeEl?.['室编件号']));
  if (year && !/^\d{4}$/.test(year)) add('authenticity', 'METADATA_RANGE', code, `${code}：年度「${year}」不是四位年份`);
  if (date && (!/^\d{8}$/.test(date) || Number.isNaN(Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`)))) add('authenticity', 'METADATA_RANGE', code, `${code}：日期「${date}」不是 8 位有效日期`);
  if (year && date && date.slice(0, 4) !== year) add('authenticity', 'METADATA_RANGE', code, `${code}：日期 ${date} 不在年度 ${year} 内`);
  const retention = str(codeEl?.['保管期限']);
  if (retention && !(retention in RETENTIONS)) add('authenticity', 'METADATA_RANGE', code, `${code}：保管期限「${retention}」不是 永久、定期30年 或 定期10年`);
  if (str(codeEl?.['室编件号']) && !(Number.isInteger(itemNo) && itemNo >= 1)) add('authenticity', 'METADATA_RANGE', code, `${code}：室编件号「${str(codeEl?.['室编件号'])}」不是正整数`);
  if (str(content['题名']).length > 500) add('authenticity', 'METADATA_RANGE', code, `${code}：题名超过 500 字`);

  const folder = path.slice(0, path.lastIndexOf('/') + 1);
  const decoded: EepSummary['files'] = [];
  const bytesBySm3 = new Map<string, Uint8Array>();
  const pdfs: EepSummary['pdfs'] = [];
  const embedded: EepSummary['embedded'] = [];
  let sealEvidence: SealEvidence | null = null;
  for (const doc of asArray(entity['文件数据']?.['文档'])) {
    const main = str(doc?.['文档主从声明']) === '主文档';
    for (const data of asArray(doc?.['文档数据'])) {
      for (const enc of asArray(data?.['编码'])) {
        const props = enc?.['电子属性'] ?? {};
        const fileName = str(props['计算机文件名']);
        const declared = Number(str(props['计算机文件大小']));
        const key = str(enc?.['反编码关键字']).toLowerCase();
        const raw = Buffer.from(str(enc?.['编码数据']).replace(/\s+/g, ''), 'base64');
        if (unsafePath(fileName) || fileName.includes('/')) add('security', 'UNSAFE_PATH', code, `${code}：计算机文件名「${fileName}」不是安全的文件名`);
        if (!(key in ALLOWED_FORMATS)) add('usability', 'FORMAT_NOT_ALLOWED', code, `${code}：文件「${fileName}」的格式 .${key} 不在允许的归档格式之内`);
        if (declared !== raw.length) add('authenticity', 'FILE_PROPERTY_MISMATCH', code, `${code}：文件「${fileName}」元数据记载 ${declared} 字节，实际 ${raw.length} 字节`);
        if (looksExecutable(raw)) add('security', 'EXECUTABLE', code, `${code}：封装的文件「${fileName}」是可执行文件`);
        const digest = sm3Hex(raw);
        bytesBySm3.set(digest, raw);
        decoded.push({ fileName, size: raw.length, sm3: digest });
        if (key === 'pdf' && main) pdfs.push({ fileName, bytes: raw });
        else embedded.push({ fileName, extension: key, bytes: raw });
        if (key === 'json' && fileName === '印章记录.json') {
          try {
            const parsed = JSON.parse(raw.toString('utf8')) as SealEvidence & { format?: string };
            if (parsed.format === SEAL_EVIDENCE_FORMAT) sealEvidence = parsed;
          } catch {
            add('usability', 'UNREADABLE', code, `${code}：印章记录不是有效的 JSON`);
          }
        }
      }
    }
  }
  if (sealEvidence) {
    const trusted = opts.trustedKeys?.length ? opts.trustedKeys : signature.publicKeyHex ? [signature.publicKeyHex] : [];
    const seal = verifySealedDocument({ ...sealEvidence, attachmentBytes: bytesBySm3 }, trusted);
    for (const problem of seal.problems) add('authenticity', `SEAL_${problem.code}`, code, `${code}：电子印章验证未通过：${problem.message}`);
  }
  return { path, folder, code: str(codeEl), year, retention, fonds: str(codeEl?.['全宗号']), organisation: str(codeEl?.['机构或问题']), itemNo, files: decoded, pdfs, embedded, pages: /^\d+$/.test(str(entity['形式特征']?.['页数'])) ? Number(str(entity['形式特征']?.['页数'])) : null };
}

/**
 * The fixed-layout 主文档 (GB/T 18894-2016): a PDF that opens (checkPdf), declares PDF/A and has
 * the pages its 页数 says (file properties = metadata, DA/T 70-2018 真实性). The other files (the
 * users' attachments among them) are checked by checkEmbeddedFormats: content, not only name.
 */
async function checkPdfs(eep: EepSummary, add: Add): Promise<void> {
  for (const f of eep.pdfs.splice(0)) {
    const pdf = await checkPdf(f.bytes);
    if (!pdf.ok) {
      add('usability', pdf.code, eep.code, `${eep.code}：主文档「${f.fileName}」${pdf.reason} (PDF ${pdf.code === 'ENCRYPTED' ? 'encrypted' : 'unreadable'})`);
      continue;
    }
    if (pdf.pdfaPart === null) add('usability', 'FORMAT_NOT_ALLOWED', eep.code, `${eep.code}：主文档「${f.fileName}」不是 PDF/A（XMP 元数据中没有 pdfaid:part），版式文件须为 PDF/A 或 OFD (main PDF is not PDF/A)`);
    if (eep.pages !== null && eep.pages !== pdf.pages) add('authenticity', 'FILE_PROPERTY_MISMATCH', eep.code, `${eep.code}：元数据记载页数 ${eep.pages}，主文档「${f.fileName}」实有 ${pdf.pages} 页 (page count differs)`);
  }
}

/** Every other file an EEP carries is the format its 反编码关键字 names (content-format.ts), named by the item. */
async function checkEmbeddedFormats(eep: EepSummary, add: Add): Promise<void> {
  for (const f of eep.embedded.splice(0)) {
    const wrong = await formatMismatch(f.extension, f.bytes);
    if (wrong) add('usability', 'FORMAT_MISMATCH', eep.code, `${eep.code}：封装的文件「${f.fileName}」${wrong} (content is not the format its extension names)`);
  }
}

async function validateBatch(batch: { path: string; bytes: Buffer }[], xsd: Buffer | null, add: Add): Promise<void> {
  if (!xsd || batch.length === 0) return;
  const result = await validateXML({
    xml: batch.map((e, i) => ({ fileName: `item${i}.xml`, contents: e.bytes })),
    schema: { fileName: 'dat48-eep.xsd', contents: xsd },
    maxMemoryPages: 16384,
  });
  for (const error of result.errors) {
    const i = Number(/item(\d+)\.xml/.exec(error.loc?.fileName ?? '')?.[1] ?? -1);
    const path = batch[i]?.path ?? '(EEP)';
    add('usability', 'XSD_INVALID', path, `EEP「${path}」不符合 DA/T 48 的 XML Schema：${error.message.trim()} (schema validation failed)`);
  }
}

function checkManifests(manifests: Map<string, Map<string, string>>, files: Map<string, FileSummary>, add: Add): void {
  if (manifests.size === 0) {
    add('integrity', 'MANIFEST_MISSING', '(包)', '包中没有 manifest-md5.txt、manifest-sha256.txt 或 manifest-sm3.txt 摘要清单 (no manifest)');
    return;
  }
  for (const [algorithm, list] of manifests) {
    for (const [path, digest] of list) {
      const f = files.get(path);
      if (!f) add('integrity', 'FILE_MISSING', path, `清单 manifest-${algorithm}.txt 列出的「${path}」不在包中 (listed file missing)`);
      else if (f[algorithm as 'md5' | 'sha256' | 'sm3'] !== digest) add('authenticity', 'DIGEST_MISMATCH', path, `「${path}」的 ${algorithm.toUpperCase()} 摘要与清单不符，文件已被改动 (digest mismatch)`);
    }
  }
  const listed = new Set([...manifests.values()].flatMap((m) => [...m.keys()]));
  for (const path of files.keys()) {
    if (!listed.has(path) && !MANIFEST.test(path) && path.includes('/')) add('integrity', 'FILE_NOT_LISTED', path, `「${path}」不在任何摘要清单中 (file not in manifest)`);
  }
}

function checkContentFiles(eeps: EepSummary[], files: Map<string, FileSummary>, add: Add): void {
  for (const e of eeps) {
    for (const f of e.files) {
      const beside = files.get(e.folder + f.fileName);
      if (!beside) add('integrity', 'CONTENT_FILE_MISSING', e.code || e.path, `${e.code}：封装的文件「${f.fileName}」在包中没有对应的文件 (content file missing)`);
      else if (beside.sm3 !== f.sm3 || beside.size !== f.size) add('authenticity', 'FILE_PROPERTY_MISMATCH', e.code || e.path, `${e.code}：文件「${f.fileName}」与 EEP 中封装的内容不一致 (file differs from its EEP)`);
    }
  }
}

function checkCodes(eeps: EepSummary[], rules: string | null, add: Add): void {
  const byCode = new Map<string, EepSummary[]>();
  for (const e of eeps) if (e.code) byCode.set(e.code, [...(byCode.get(e.code) ?? []), e]);
  for (const [code, list] of byCode) if (list.length > 1) add('authenticity', 'ARCHIVAL_CODE_DUPLICATE', code, `档号 ${code} 重复：${list.map((e) => e.path).join('、')} (duplicate archival code)`);
  const pattern = rules ? /档号模板：(.+)/.exec(rules)?.[1]?.trim() : undefined;
  let template: ArchivalCodeTemplate | null = null;
  try {
    template = pattern ? archivalCodeTemplate('package', pattern) : null;
  } catch {
    template = null;
  }
  const groups = new Map<string, EepSummary[]>();
  for (const e of eeps) {
    if (!e.code || !Number.isInteger(e.itemNo) || e.itemNo < 1) continue;
    const retention = RETENTIONS[e.retention];
    if (template && retention) {
      let expected: string | null = null;
      try {
        expected = template.format({ fondsCode: e.fonds || null, year: Number(e.year), retention: retention as 'Y', organisation: e.organisation || null, itemNo: e.itemNo });
      } catch {
        expected = null;
      }
      if (expected !== e.code) add('authenticity', 'ARCHIVAL_CODE_MALFORMED', e.code, `档号 ${e.code} 与其年度、保管期限、机构和件号按编制规则应得的 ${expected ?? '（无法生成）'} 不符 (malformed archival code)`);
    }
    const key = `${e.year}|${e.retention}|${template?.usesOrganisation === false ? '' : e.organisation}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  for (const [key, list] of groups) {
    const numbers = list.map((e) => e.itemNo).sort((a, b) => a - b);
    const [year, retention, org] = key.split('|');
    for (let n = 1, i = 0; i < numbers.length; n++) {
      if (numbers[i] === n) {
        while (numbers[i] === n) i++;
        continue;
      }
      add('integrity', 'ITEM_NUMBER_GAP', `${year} ${retention}${org ? ` ${org}` : ''} 件号 ${n}`, `${year} 年度 ${retention}${org ? ` ${org}` : ''} 缺少件号 ${n}（件号应从 1 起连续）(gap in item numbers)`);
    }
  }
}

function checkRegisterAndCatalogue(eeps: EepSummary[], files: Map<string, FileSummary>, register: Record<string, unknown> | null, catalogue: { path: string; rows: Record<string, unknown>[] } | null, add: Add): void {
  if (!register) add('integrity', 'REGISTER_MISSING', '(包)', '包中没有移交登记表 (no transfer register)');
  else {
    const items = Number(str(register['件数']));
    if (items !== eeps.length) add('integrity', 'REGISTER_MISMATCH', '移交登记表', `登记表记载 ${items} 件，包中有 ${eeps.length} 件 (item count differs from the register)`);
    const registerPath = [...files.keys()].find((p) => p.endsWith('/移交登记表.xml'));
    // What the writer counts: every listed file but the register itself (the manifests and the readme are not listed).
    const counted = [...files.entries()].filter(([p]) => (p.includes('/') && p !== registerPath) || (!p.includes('/') && !MANIFEST.test(p) && p.endsWith('.xml')));
    const bytes = counted.reduce((n, [, f]) => n + f.size, 0);
    const declared = Number(str(register['数据量']));
    if (declared !== bytes) add('integrity', 'REGISTER_MISMATCH', '移交登记表', `登记表记载数据量 ${declared} 字节，包中为 ${bytes} 字节 (data volume differs from the register)`);
  }
  if (!catalogue) {
    add('integrity', 'CATALOGUE_MISSING', '(包)', '包中没有文件目录 (no catalogue)');
    return;
  }
  const byPath = new Map(eeps.map((e) => [e.path, e]));
  const rowPaths = new Set<string>();
  for (const row of catalogue.rows) {
    const path = str(row['电子档案名称']);
    const code = str(row['档号']);
    rowPaths.add(path);
    const eep = byPath.get(path);
    if (!eep) add('integrity', 'ROW_WITHOUT_CONTENT', code || path, `文件目录中的 ${code}（${path}）在包中没有内容 (catalogue row without content)`);
    else if (eep.code !== code) add('authenticity', 'CATALOGUE_MISMATCH', code, `文件目录的档号 ${code} 与 EEP 中的档号 ${eep.code} 不符`);
  }
  for (const e of eeps) if (!rowPaths.has(e.path)) add('integrity', 'CONTENT_WITHOUT_ROW', e.code || e.path, `${e.code || e.path} 不在文件目录中 (content without catalogue row)`);
}

/** The readable summary: one line per aspect, then each failure naming its item. */
export function summarise(report: CheckReport): string {
  const lines = [
    `四性检测（DA/T 70-2018）：${report.package}`,
    `  ${report.counts.items} 件，${report.counts.files} 个文件，${report.counts.bytes} 字节；签名密钥 ${report.signers.join('、') || '（无）'}`,
    ...(Object.keys(ASPECT_WORDS) as Aspect[]).map((a) => `  ${ASPECT_WORDS[a]}（${a}）：${report.aspects[a].passed ? '通过' : `未通过，${report.aspects[a].failures} 项`}`),
  ];
  for (const f of report.findings) lines.push(`  ✗ [${ASPECT_WORDS[f.aspect]}] ${f.code} ${f.item}：${f.message}`);
  lines.push(report.passed ? '结论：通过 (passed)' : `结论：未通过，共 ${report.findings.length} 项 (failed)`);
  return lines.join('\n');
}
