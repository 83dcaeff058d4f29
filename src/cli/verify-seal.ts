import { readFile, writeFile } from 'node:fs/promises';
import { eventRegistry } from '../../schemas/events/index.ts';
import { loadSealEvidence } from '../app/seal-evidence.ts';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { Refusal } from '../domain/refusal.ts';
import { createEventStore } from '../eventstore/create-event-store.ts';
import type { EventStore } from '../eventstore/port.ts';
import { findLedgerKey, loadLedgerKey } from '../integrity/ledger-key.ts';
import { MerkleLog } from '../integrity/merkle-log.ts';
import { ledgerProofOf } from '../seal/ledger-proof.ts';
import { buildSealedDocumentPackage, verifySealedDocumentPackage, type PackageVerification } from '../seal/sealed-document-package.ts';

/**
 * `gongwen verify-seal <file> [--issuer-key <hex>]…`: checks an exported sealed document away from
 * the ledger. The ledger keys it trusts are the ones given with --issuer-key and, when this machine
 * runs the ledger, its own; never the key the file itself names. Exit 0 valid, 1 invalid, 2 unusable.
 */
export async function verifySealFile(config: Config, file: string | undefined, issuerKeys: string[], opts: { json: boolean }): Promise<number> {
  if (!file) {
    console.error('用法 (usage): gongwen verify-seal <导出的文件 exported file> [--issuer-key <账本公钥 hex>]');
    return 2;
  }
  const bad = issuerKeys.find((k) => !/^04[0-9a-fA-F]{128}$/.test(k));
  if (bad) {
    console.error(`--issuer-key ${bad}: 须为 04 开头的 130 位十六进制 SM2 公钥 (not an SM2 public key)`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    console.error(`无法读取文件 ${file}: ${(error as Error).message}`);
    return 2;
  }
  const own = await findLedgerKey(config).catch(() => null);
  const trusted = [...issuerKeys.map((k) => k.toLowerCase()), ...(own ? [own.publicKeyHex] : [])];
  const result = verifySealedDocumentPackage(text, trusted);
  if ('malformed' in result) {
    console.log(opts.json ? JSON.stringify(result, null, 2) : `无法验证 (cannot verify): ${result.malformed}`);
    return 2;
  }
  console.log(opts.json ? JSON.stringify(result, null, 2) : formatSealReport(result, trusted.length));
  return result.valid ? 0 : 1;
}

export function formatSealReport(r: PackageVerification, trustedKeys: number): string {
  const lines = [
    r.valid ? '印章验证通过：公文内容未被改动，签章有效 (seal VALID)' : `印章验证未通过：发现 ${r.problems.length} 个问题 (seal INVALID)`,
    `  公文 document:       ${r.title}`,
    `  发文字号 number:     ${r.docNumber}  (${r.documentId})`,
    `  发文单位 issuer:     ${r.issuerUnitId}`,
    `  印章 seal:           ${r.sealName} (${r.sealId}, 属于 ${r.sealUnitId})`,
    `  盖章时间 sealed at:  ${r.sealedAt}  by ${r.sealedBy} (${r.keyCustody === 'client' ? 'USB Key' : '服务器托管密钥 server-held key'})`,
    `  内容摘要 SM3:        ${r.contentDigest}`,
    r.ledgerProof
      ? `  账本存证 ledger:     已记入全局日志，检查点 ${r.ledgerProof.treeSize} 个事件，签于 ${r.ledgerProof.checkpointAt} (in a signed checkpoint)`
      : '  账本存证 ledger:     未能证实 (not proven)',
  ];
  for (const p of r.problems) lines.push(`  ✗ ${p.code}: ${p.message}`);
  for (const n of r.notes) lines.push(`  · ${n}`);
  if (trustedKeys === 0) lines.push('  提示：未指定可信的账本公钥（--issuer-key），无法确认制章者与数据包的签名 (no trusted ledger key given)');
  return lines.join('\n');
}

/** `gongwen export-document <documentId> [--out file]`: the signed package verify-seal reads. */
export async function exportDocument(config: Config, documentId: string | undefined, out: string | undefined): Promise<number> {
  if (!documentId) {
    console.error('用法 (usage): gongwen export-document <documentId> [--out <file>]');
    return 2;
  }
  const db = await openDatabase(config, { migrate: false });
  let store: EventStore | undefined;
  try {
    const key = await loadLedgerKey(config);
    store = await createEventStore(config, { pool: db.pool, registry: eventRegistry, macKey: key.macKey });
    const evidence = await loadSealEvidence(store, db.pool, documentId);
    const ledgerProof = await ledgerProofOf(new MerkleLog({ pool: db.pool, key, ...(config.EVENT_STORE === 'eventstoredb' ? { feed: store } : {}) }), evidence.sealedEvent);
    const package_ = buildSealedDocumentPackage({ evidence, attachments: evidence.attachments, ledgerProof, exportedAt: new Date().toISOString() }, key);
    const text = JSON.stringify(package_, null, 2);
    if (out) {
      await writeFile(out, `${text}\n`);
      console.error(`已导出 ${evidence.content.docNumber}「${evidence.content.title}」到 ${out}`);
    } else {
      console.log(text);
    }
    return 0;
  } catch (error) {
    if (error instanceof Refusal) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await store?.close();
    await db.close();
  }
}
