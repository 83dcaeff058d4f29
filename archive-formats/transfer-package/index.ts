import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { FrozenItem } from '../../schemas/events/dossier.ts';
import type { DossierReader, FrozenDossier } from '../../src/export/dossier-source.ts';
import { itemFiles } from '../../src/export/item-files.ts';
import { el, XML_DECLARATION } from '../../src/export/xml.ts';
import { resolveArchivalCodeTemplate } from '../archival-code/index.ts';
import { catalogueCsv, catalogueXlsx, catalogueXml, coverCsv, encode, encodeXml, formatDate, type CatalogueCover, type CatalogueRow } from '../catalogue/index.ts';
import { buildEep, RETENTION_WORDS, type EepSigner } from '../dat48-eep/build.ts';
import type { LoadedProfile } from '../profiles/index.ts';
import { ZipWriter, type DigestAlgorithm, type WrittenFile } from './zip-writer.ts';

/**
 * The 移交 package of one fonds' closed year (README.md in this folder):
 *
 *   说明文件.txt            package parameters, producer, software, the manifests' digests
 *   文件目录.xml            <文件目录><文件><顺序号/><档号/>…</文件>…
 *   电子档案/<年度>/<保管期限>/<档号>/   each item's .eep and its content files
 *   其他/                   移交登记表.xml, 档号编制规则.txt, the profile, the XSD, 归档文件目录/*
 *   manifest-<alg>.txt      "digest  path" for every file above except 说明文件 and the manifests
 *
 * Names follow the profile. Items are read and written one at a time.
 */

export interface PackageOptions {
  dossier: FrozenDossier;
  reader: DossierReader;
  profile: LoadedProfile;
  signer: EepSigner;
  /** The DA/T 48 XSD to put into 其他/ when the operator has it (GONGWEN_EEP_XSD). */
  xsdPath?: string | undefined;
  onItem?: (done: number, total: number) => void;
}

export interface PackageSummary {
  items: number;
  files: number;
  /** Bytes of every file the manifests list. */
  contentBytes: number;
  packageBytes: number;
}

/** A path segment from an archival code: characters a file system would misread become _. */
export const safeSegment = (s: string): string => s.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+$/, '_');

export async function writeTransferPackage(out: Writable, o: PackageOptions): Promise<PackageSummary> {
  const { dossier, profile: loaded } = o;
  const profile = loaded.profile;
  const f = profile.folders;
  if (profile.archivalCodeForm && resolveArchivalCodeTemplate(profile.archivalCodeForm).pattern !== dossier.template.pattern) {
    throw new Error(
      `移交配置「${profile.name}」要求 ${profile.archivalCodeForm} 格式的档号，而全宗 ${dossier.fonds} ${dossier.year} 年度关卷时按「${dossier.template.id}」（${dossier.template.pattern}）编定档号，关卷后档号不再改变 (profile expects another archival code form)`,
    );
  }
  const date = new Date(dossier.closedAt);
  const zip = new ZipWriter(out, date, profile.digests);
  const carrierNumber = profile.carrierNumber.replace('{fonds}', dossier.fonds.replace(/^unit:/, '')).replace('{year}', String(dossier.year));
  const rows: { item: FrozenItem; path: string; batch: number }[] = [];
  let done = 0;
  try {
    for await (const r of o.reader.items(dossier)) {
      const folder = `${f.records}/${dossier.year}/${f.retention[r.item.retention]}/${safeSegment(r.item.archivalCode)}`;
      const files = itemFiles(r);
      const eep = buildEep(r, files, { location: folder, carrierNumber, archive: profile.archive }, o.signer);
      const eepPath = `${folder}/${safeSegment(r.item.archivalCode)}.eep`;
      await zip.add(eepPath, eep);
      for (const file of files) await zip.add(`${folder}/${file.fileName}`, file.bytes);
      rows.push({ item: r.item, path: eepPath, batch: r.batch });
      o.onItem?.(++done, dossier.items);
    }

    await zip.add(f.catalogue, Buffer.from(transferCatalogue(rows, profile.dateFormat), 'utf8'));
    await addCatalogues(zip, dossier, rows, loaded, date);
    await zip.add(`${f.other}/档号编制规则.txt`, Buffer.from(numberingRules(dossier), 'utf8'));
    await zip.add(`${f.other}/${loaded.fileName}`, Buffer.from(loaded.text, 'utf8'));
    if (o.xsdPath) await zip.add(`${f.other}/dat48-eep.xsd`, await readFile(o.xsdPath));
    const listed = zip.listedTotals;
    const register = transferRegister(dossier, rows.length, listed, profile.digests, carrierNumber);
    await zip.add(`${f.other}/移交登记表.xml`, Buffer.from(register, 'utf8'));

    const manifests: WrittenFile[] = [];
    for (const a of profile.digests) manifests.push(await zip.addChunks(`manifest-${a}.txt`, manifest(a, zip.manifestLines(a)), { list: false }));
    await zip.add(f.readme, Buffer.from(readme(dossier, loaded, rows.length, listed.files, listed.bytes, carrierNumber, manifests, profile.digests), 'utf8'), { list: false });
    const packageBytes = await zip.finish();
    return { items: rows.length, files: listed.files, contentBytes: listed.bytes, packageBytes };
  } catch (error) {
    zip.abort();
    throw error;
  }
}

/** A manifest: a header naming the algorithm, then "digest  path" per file (the zip writer's lines). */
async function* manifest(algorithm: DigestAlgorithm, lines: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield Buffer.from(`# ${ALGORITHM_NAMES[algorithm]}\n`, 'utf8');
  yield* lines;
}

export const ALGORITHM_NAMES: Record<DigestAlgorithm, string> = { md5: 'MD5', sha256: 'SHA-256', sm3: 'SM3' };

function transferCatalogue(rows: readonly { item: FrozenItem; path: string }[], dateFormat: LoadedProfile['profile']['dateFormat']): string {
  const files = rows.map(
    ({ item, path }, i) =>
      `<文件>${el('顺序号', i + 1)}${el('档号', item.archivalCode)}${el('责任者', item.responsible)}${el('题名', item.archivistTitle ? `[${item.title}]` : item.title)}` +
      `${el('日期', formatDate(item.date, dateFormat))}${el('密级', item.classification === '非密' ? '' : item.classification)}${el('电子档案名称', path)}${el('备注', item.remarks)}</文件>`,
  );
  return `${XML_DECLARATION}<文件目录>\n${files.join('\n')}\n</文件目录>\n`;
}

async function addCatalogues(zip: ZipWriter, dossier: FrozenDossier, rows: readonly { item: FrozenItem }[], loaded: LoadedProfile, date: Date): Promise<void> {
  const profile = loaded.profile;
  for (const retention of ['Y', 'D30', 'D10'] as const) {
    const items = rows.filter((r) => r.item.retention === retention).map((r) => r.item);
    if (items.length === 0) continue;
    const catalogueRows: CatalogueRow[] = items.map((item, i) => ({ seq: i + 1, item }));
    const cover: CatalogueCover = {
      fondsCode: dossier.fondsCode,
      fondsName: dossier.fondsName,
      year: dossier.year,
      retention,
      organisations: [...new Set(items.map((i) => i.organisationCode).filter((o): o is string => o !== null))].sort(),
    };
    const base = `${profile.folders.other}/归档文件目录/${dossier.year}-${RETENTION_WORDS[retention]}`;
    for (const encoding of profile.catalogue.encodings) {
      const suffix = encoding === 'UTF-8' ? '' : `-${encoding}`;
      if (profile.catalogue.formats.includes('xml')) await zip.add(`${base}${suffix}.xml`, encodeXml(catalogueXml(cover, catalogueRows, profile), encoding));
      if (profile.catalogue.formats.includes('csv')) {
        await zip.add(`${base}${suffix}.csv`, encode(catalogueCsv(catalogueRows, profile), encoding, true));
        await zip.add(`${base}-封面${suffix}.csv`, encode(coverCsv(cover), encoding, true));
      }
    }
    // A spreadsheet carries its own encoding (OOXML is UTF-8 inside): one file whatever the encodings.
    if (profile.catalogue.formats.includes('xlsx')) await zip.add(`${base}.xlsx`, await catalogueXlsx(cover, catalogueRows, profile, date));
  }
}

function numberingRules(d: FrozenDossier): string {
  return [
    `档号格式：${d.template.id}`,
    `档号模板：${d.template.pattern}`,
    '件号：在同一年度、保管期限（模板含机构时还按机构）内从 1 起连续编号，无空号；',
    '      关卷时按整理后的排列固定，关卷后补归档的文件编入补充批次，接续原件号。',
    `批次：${d.batches.map((b) => `第 ${b.batch} 批 ${b.items.length} 件（${b.closedAt} 关卷）`).join('；')}`,
    '依据：DA/T 22-2015《归档文件整理规则》，DA/T 13-2022《档号编制规则》。',
    '',
  ].join('\n');
}

function transferRegister(d: FrozenDossier, items: number, files: { files: number; bytes: number }, digests: readonly DigestAlgorithm[], carrier: string): string {
  return (
    `${XML_DECLARATION}<移交登记表>` +
    el('全宗号', d.fondsCode) +
    el('全宗名称', d.fondsName) +
    el('年度', d.year) +
    el('载体编号', carrier) +
    el('件数', items) +
    el('文件数', files.files) +
    el('数据量', files.bytes) +
    el('数据量单位', '字节') +
    el('批次数', d.batches.length) +
    el('摘要算法', digests.map((a) => ALGORITHM_NAMES[a]).join('、')) +
    el('说明', '件数、文件数与数据量不含本表、清单文件和说明文件') +
    `</移交登记表>\n`
  );
}

function readme(d: FrozenDossier, loaded: LoadedProfile, items: number, files: number, bytes: number, carrier: string, manifests: readonly WrittenFile[], algorithms: readonly DigestAlgorithm[]): string {
  const lines = [
    '电子档案移交说明文件',
    '',
    `全宗号：${d.fondsCode ?? '（未编全宗号）'}`,
    `全宗名称：${d.fondsName}`,
    `年度：${d.year}`,
    `载体编号：${carrier}`,
    `件数：${items}`,
    `文件数：${files}（不含移交登记表、清单文件和本说明文件）`,
    `数据量：${bytes} 字节`,
    `关卷时间：${d.closedAt}`,
    `移交配置：${loaded.profile.name}（SM3 ${loaded.digest}）`,
    '形成单位：Gongwen Ledger 公文账本',
    '检测单位：（由接收方填写）',
    '所需软件：能读取 ZIP、XML（UTF-8）与 Base64 的任何软件；签名验证需支持 SM2/SM3（GM/T 0003、GM/T 0004）',
    '封装格式：DA/T 48-2009 电子文件封装包（.eep），电子签名 SM3withSM2（1.2.156.10197.1.501）',
    '',
    '清单文件摘要：',
    ...manifests.map((m, i) => `  ${m.path}  ${ALGORITHM_NAMES[algorithms[i]!]} ${m.digests[algorithms[i]!]}`),
    '',
  ];
  return lines.join('\r\n');
}

