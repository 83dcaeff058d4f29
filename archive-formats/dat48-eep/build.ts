import { actionOf } from '../../projections/audit/actions.ts';
import type { ItemRecord } from '../../src/export/dossier-source.ts';
import type { ItemFile } from '../../src/export/item-files.ts';
import { attr, el, text, XML_DECLARATION } from '../../src/export/xml.ts';
import { OID } from '../../src/integrity/sm2.ts';
import { sm2SignDeterministic } from '../../src/integrity/sm2-deterministic.ts';

/**
 * One item's EEP (DA/T 48-2009 电子文件封装包), built as text so the exact bytes of 被签名对象 are
 * known when they are signed: the signature covers those bytes as they stand in the file, and a
 * verifier cuts them out of the file again (verify.ts). Element order follows the XSD
 * (../shared/reference/dat48-eep.xsd); the rules are in README.md beside this file.
 */

export const EEP_NAMESPACE = 'http://www.saac.gov.cn/standards/ERM/encapsulation';
export const EEP_FORMAT_DESCRIPTION = '本EEP根据中华人民共和国档案行业标准DA/T 48-2009《基于XML的电子文件封装规范》生成';
export const ORIGINAL_PACKAGE = '本封装包包含电子文件数据及其元数据，原始封装，未经修改';
export const ENCODING_DESCRIPTION =
  '本封装包中“编码数据”元素存储的是计算机文件二进制流的Base64编码，有关Base64编码规则参见IETF RFC 2045多用途邮件扩展（MIME）第一部分：互联网信息体格式。当提取和显现封装在编码数据元素中的计算机文件时，应对Base64编码进行反编码，并依据封装包中“反编码关键字”元素中记录的值还原计算机文件的扩展名';
export const SIGNATURE_ALGORITHM = `SM3withSM2 (${OID.SM3_WITH_SM2})`;
export const SIGNATURE_RULE =
  'GM/T 0003 SM2 签名（SM3 杂凑，签名者标识 1234567812345678，DER 编码），签名对象为本文件中自“<被签名对象”至“</被签名对象>”的 UTF-8 字节原样；证书为签名公钥（04‖x‖y）；锁定签名的对象为“<电子签名>”至“</电子签名>”的字节';

export const RETENTION_WORDS = { Y: '永久', D30: '定期30年', D10: '定期10年' } as const;

export interface EepSigner {
  keyId: string;
  publicKeyHex: string;
  privateKeyHex: string;
}

export interface EepOptions {
  /** 存储位置/当前位置: the item's folder in the package. */
  location: string;
  /** 脱机载体编号 */
  carrierNumber: string;
  archive: { name?: string | undefined; code?: string | undefined };
}

/** 48 KB of a file in, 64 KB of Base64 out: each piece a small string the young generation frees at once. */
const BASE64_SLICE = 3 * 16384;

/**
 * A file's Base64 as bytes, made slice by slice. The whole file as one string would be a large
 * object (and, joined with the Chinese markup, a two-byte string twice its size) that only a full
 * collection frees: a few MB an item, which made the export's heap climb with the files' sizes.
 * Slices of a multiple of three bytes encode to the whole's Base64 exactly (no padding inside).
 */
function base64Bytes(bytes: Uint8Array): Buffer {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Buffer.allocUnsafe(4 * Math.ceil(source.length / 3));
  let at = 0;
  for (let i = 0; i < source.length; i += BASE64_SLICE) at += out.write(source.subarray(i, i + BASE64_SLICE).toString('base64'), at, 'latin1');
  return out;
}

/** UTF-8 bytes of markup and ready-made byte runs (the files' Base64), in order. */
const utf8 = (parts: readonly (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));

function fileEntity(r: ItemRecord, files: readonly ItemFile[], o: EepOptions): (string | Buffer)[] {
  const { item, dossier } = r;
  const name = (id: string) => r.people.get(id)?.name ?? id;
  const code =
    text(item.archivalCode, '档号') +
    el('全宗号', dossier.fondsCode) +
    el('年度', dossier.year) +
    el('保管期限', RETENTION_WORDS[item.retention]) +
    el('机构或问题', item.organisationCode) +
    el('室编件号', item.itemNo);
  const content =
    el('题名', item.archivistTitle ? `[${item.title}]` : item.title, '题名') +
    el('文件编号', item.docNumber) +
    el('责任者', item.responsible) +
    el('日期', item.date) +
    el('文种', r.document.content.docType) +
    el('紧急程度', r.document.content.urgency) +
    el('主送', r.recipients.main.map(name).join('、')) +
    el('抄送', r.recipients.cc.map(name).join('、')) +
    el('密级', item.classification);
  const documents = files.flatMap((f, i) => {
    const n = i + 1;
    return [
      `<文档>${el('文档标识符', `D${n}`)}${el('文档序号', n)}${el('文档主从声明', f.main ? '主文档' : '附属文档')}${el('题名', f.title, '文档题名')}` +
        `<文档数据 文档数据ID="${attr(`D${n}-1`)}"><编码 编码ID="${attr(`E${n}`)}">` +
        `<电子属性>${el('格式信息', f.mediaType)}${el('计算机文件名', f.fileName)}${el('计算机文件大小', f.bytes.byteLength)}${el('文档创建程序', 'Gongwen Ledger')}</电子属性>` +
        `${el('编码描述', ENCODING_DESCRIPTION)}${el('反编码关键字', f.extension)}` +
        `<编码数据 编码数据ID="${attr(`B${n}`)}">`,
      base64Bytes(f.bytes),
      '</编码数据></编码></文档数据></文档>',
    ];
  });
  const head =
    '<文件实体块><文件实体>' +
    el('聚合层次', '文件') +
    `<来源>${el('档案馆名称', o.archive.name)}${el('档案馆代码', o.archive.code)}${el('全宗名称', dossier.fondsName)}${el('立档单位名称', dossier.fondsName)}</来源>` +
    el('电子文件号', r.fileNo) +
    `<档号>${code}</档号>` +
    `<内容描述>${content}</内容描述>` +
    `<形式特征>${el('文件组合类型', r.attachments.length > 0 ? '组合文件' : '单件')}${el('页数', item.pages)}${el('语种', '汉语')}</形式特征>` +
    `<存储位置>${el('当前位置', o.location)}${el('脱机载体编号', o.carrierNumber)}</存储位置>` +
    `<权限管理>${el('控制标识', '非涉密')}</权限管理>` +
    el('信息系统描述', 'Gongwen Ledger 公文账本（事件溯源，SM3 哈希链与 SM2 签名检查点）') +
    el('附注', item.remarks) +
    '<文件数据>';
  return [head, ...documents, '</文件数据></文件实体></文件实体块>'];
}

/** 业务实体: every act the document's own events record, each with its place and hash in the ledger. */
function businessEntities(r: ItemRecord): string {
  const name = (id: string) => r.people.get(id)?.name ?? id;
  const entities = r.events.map((e) => {
    const d = e.data as Record<string, unknown>;
    const said = ['opinion', 'reason', 'result', 'content', 'text', 'remarks'].map((k) => d[k]).find((v) => typeof v === 'string') as string | undefined;
    const where = e.streamId.startsWith('delivery-') ? `（${name(e.streamId.slice(e.streamId.lastIndexOf('.') + 1))}）` : '';
    return (
      '<业务实体>' +
      el('业务标识符', `${e.streamId}@${e.revision}`) +
      el('机构人员标识符', e.actor.role === 'SYSTEM' ? e.actor.unitId : e.actor.userId) +
      el('文件标识符', r.fileNo) +
      el('业务状态', '历史行为') +
      el('业务行为', actionOf(e.type, e.data)) +
      el('行为时间', e.occurredAt) +
      el('行为依据', `账本事件 ${e.type}，全局位置 ${e.globalPosition}，流 ${e.streamId} 第 ${e.revision} 条，SM3 ${e.hash}`) +
      el('行为描述', `${e.actor.role === 'SYSTEM' ? '系统' : name(e.actor.userId)}（${name(e.actor.unitId)}，${e.actor.role}）${actionOf(e.type, e.data)}${where}${said ? `：${said}` : ''}`) +
      '</业务实体>'
    );
  });
  return `<业务实体块>${entities.join('')}</业务实体块>`;
}

function people(r: ItemRecord): string {
  const all = [...r.people.values()].sort((a, b) => a.id.localeCompare(b.id));
  const entities = all.map((p) => `<机构人员实体>${el('机构人员标识符', p.id)}${el('机构人员类型', p.kind)}${el('机构人员名称', p.name)}</机构人员实体>`);
  const relations = all
    .filter((p) => p.unitId)
    .map((p) => `<机构人员实体关系>${el('机构人员标识符', p.id)}${el('被关联机构人员标识符', p.unitId)}${el('关系类型', '隶属')}${el('关系', '任职于')}</机构人员实体关系>`);
  return `<机构人员实体块>${entities.join('')}${relations.join('')}</机构人员实体块>`;
}

/** The UTF-8 bytes of 被签名对象, exactly as they stand in the file. */
export function signedObject(r: ItemRecord, files: readonly ItemFile[], o: EepOptions): Buffer {
  return utf8([
    '<被签名对象 eep版本="2009">' +
      el('封装包类型', '原始型') +
      el('封装包类型描述', ORIGINAL_PACKAGE) +
      el('封装包创建时间', r.dossier.batches.find((b) => b.batch === r.batch)!.closedAt) +
      el('封装包创建单位', r.dossier.fondsName) +
      '<封装内容>',
    ...fileEntity(r, files, o),
    `${businessEntities(r)}${people(r)}</封装内容></被签名对象>`,
  ]);
}

function signatureElement(tag: '电子签名' | '锁定签名', idElement: string, signedBytes: Buffer, signer: EepSigner, at: string): string {
  const signature = Buffer.from(sm2SignDeterministic(signer.privateKeyHex, signedBytes, signer.publicKeyHex), 'hex');
  return (
    `<${tag}>${idElement}` +
    el('签名规则', SIGNATURE_RULE) +
    el('签名时间', at) +
    el('签名人', `Gongwen Ledger 账本密钥 ${signer.keyId}`) +
    el('签名结果', signature.toString('base64')) +
    `<证书块>${el('证书', Buffer.from(signer.publicKeyHex, 'hex').toString('base64'))}${el('证书引证', `urn:gongwen:ledger-key:${signer.keyId}`)}</证书块>` +
    el('签名算法标识', SIGNATURE_ALGORITHM) +
    `</${tag}>`
  );
}

/** The whole .eep file, UTF-8. The same item, files and options always give the same bytes. */
export function buildEep(r: ItemRecord, files: readonly ItemFile[], o: EepOptions, signer: EepSigner): Buffer {
  const signed = signedObject(r, files, o);
  const at = r.dossier.batches.find((b) => b.batch === r.batch)!.closedAt;
  const signature = signatureElement('电子签名', el('签名标识符', 'S1'), signed, signer, at);
  const lock = signatureElement('锁定签名', el('被锁定签名标识符', 'S1'), Buffer.from(signature, 'utf8'), signer, at);
  return utf8([
    `${XML_DECLARATION}<电子文件封装包 xmlns="${EEP_NAMESPACE}">${el('封装包格式描述', EEP_FORMAT_DESCRIPTION)}${el('版本', '2009')}`,
    signed,
    `<电子签名块>${signature}</电子签名块>${lock}</电子文件封装包>\n`,
  ]);
}
