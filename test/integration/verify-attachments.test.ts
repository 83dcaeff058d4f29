import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sm3Hex } from '../../src/integrity/sm3.ts';
import { formatVerifyReport, verifyLedger } from '../../src/integrity/verify-ledger.ts';
import { createTestLedger, draftInput, seedCity } from '../support/ledger.ts';

// Issue 9, item 12: verify checks every stored attachment against the SM3 its event names, for
// every document — not only sealed ones, and not only when someone asks verifySeal.
test('verify catches attachment bytes overwritten, swapped or deleted, naming the event that records them', async () => {
  const ledger = await createTestLedger();
  const city = await seedCity(ledger);
  const office = city.units[0]!;
  const pool = ledger.db.pool;
  const files = ['%PDF-1.7 请示正文', '%PDF-1.7 附件一：经费预算表'].map((text, i) => {
    const bytes = Buffer.from(text);
    return { name: `附件${i + 1}.pdf`, mediaType: 'application/pdf', size: bytes.length, sm3: sm3Hex(bytes), bytes };
  });
  for (const f of files) {
    await pool.query('INSERT INTO attachment_contents (sm3, size, media_type, bytes) VALUES ($1, $2, $3, $4)', [f.sm3, f.size, f.mediaType, f.bytes]);
  }
  const drafted = await city.run(office.clerk, 'DraftDocument', draftInput('att-1', { attachments: files.map(({ bytes: _b, ...a }) => a) }));
  const at = drafted.events[0]!;
  await ledger.merkleLog.checkpoint();
  const verify = () => verifyLedger(pool, { macKey: ledger.key.macKey, publicKeyHex: ledger.key.publicKeyHex });

  const clean = await verify();
  assert.equal(clean.ok, true, formatVerifyReport(clean));
  assert.equal(clean.attachmentsChecked, 2);

  await pool.query('UPDATE attachment_contents SET bytes = $2 WHERE sm3 = $1', [files[0]!.sm3, Buffer.from('%PDF-1.7 被替换的正文')]);
  const overwritten = await verify();
  assert.equal(overwritten.ok, false);
  assert.deepEqual(
    { kind: overwritten.firstMismatch?.kind, streamId: overwritten.firstMismatch?.streamId, globalPosition: overwritten.firstMismatch?.globalPosition },
    { kind: 'attachment_mismatch', streamId: 'document-att-1', globalPosition: at.globalPosition },
  );
  assert.match(formatVerifyReport(overwritten), /附件内容与事件记载的 SM3 摘要不符/);

  // Swapped: both rows hold real bytes, each under the other's digest.
  await pool.query(
    `UPDATE attachment_contents c SET bytes = s.bytes, size = s.size FROM (VALUES ($1::text, $3::bytea, $5::int), ($2::text, $4::bytea, $6::int)) AS s(sm3, bytes, size) WHERE c.sm3 = s.sm3`,
    [files[0]!.sm3, files[1]!.sm3, files[1]!.bytes, files[0]!.bytes, files[1]!.size, files[0]!.size],
  );
  const swapped = await verify();
  assert.deepEqual(swapped.samples.map((m) => m.kind), ['attachment_mismatch', 'attachment_mismatch']);

  await pool.query('DELETE FROM attachment_contents WHERE sm3 = $1', [files[1]!.sm3]);
  const deleted = await verify();
  assert.ok(deleted.samples.some((m) => m.kind === 'attachment_missing' && m.streamId === 'document-att-1' && m.detail.includes('附件2.pdf')), JSON.stringify(deleted.samples));
});
