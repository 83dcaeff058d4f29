import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { createTestLedger, seedCity, draftInput, SEAL_PASSPHRASE } from '../support/ledger.ts';

test('a 特急 delivery reminds the clerk and the leader through the webhook: it fails twice, then accepts; three attempts recorded, one delivery each', async () => {
  const received = new Map<string, { ok: number; failed: number; body: any }>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const seen = received.get(key) ?? { ok: 0, failed: 0, body: JSON.parse(body) };
      received.set(key, seen);
      if (seen.failed < 2) {
        seen.failed++;
        res.writeHead(503).end('busy');
      } else {
        seen.ok++;
        res.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  try {
    const ledger = await createTestLedger({ env: { GONGWEN_NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/sms` } });
    const city = await seedCity(ledger);
    await city.run(city.admin, 'SetUserMobile', { userId: 'edu-clerk', mobile: '13812345678' });
    await ledger.settle();
    await ledger.jobs.start();
    const office = city.units[0]!;
    await city.run(office.clerk, 'DraftDocument', draftInput('urgent-r', { urgency: '特急', mainRecipients: ['edu'], ccRecipients: [] }));
    await city.run(office.leader, 'SignOffDocument', { documentId: 'urgent-r' });
    await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId: 'urgent-r', sealId: 'city-office-seal' });
    await city.run(office.clerk, 'SendDocument', { documentId: 'urgent-r' });
    await ledger.settle();
    // Seeing the delivery again (a restart replaying the feed) creates nothing new.
    await ledger.settle();

    const pool = ledger.db.pool;
    const deadline = Date.now() + 60_000;
    let rows: { notification_id: string; user_id: string; mobile: string | null; delivered_at: Date | null }[] = [];
    while (Date.now() < deadline) {
      rows = (await pool.query(`SELECT notification_id, user_id, mobile, delivered_at FROM supervision_notifications ORDER BY user_id`)).rows;
      if (rows.length === 2 && rows.every((r) => r.delivered_at)) break;
      await new Promise((ok) => setTimeout(ok, 250));
    }
    assert.deepEqual(rows.map((r) => [r.user_id, r.mobile, r.delivered_at !== null]), [['edu-clerk', '13812345678', true], ['edu-leader', null, true]]);
    for (const r of rows) {
      const attempts = (await pool.query(`SELECT attempt, channel, ok, detail FROM supervision_notification_attempts WHERE notification_id = $1 ORDER BY attempt`, [r.notification_id])).rows;
      assert.deepEqual(attempts.map((a) => [a.attempt, a.channel, a.ok, a.detail]), [
        [1, 'webhook', false, 'webhook answered HTTP 503'],
        [2, 'webhook', false, 'webhook answered HTTP 503'],
        [3, 'webhook', true, null],
      ]);
      const seen = received.get(r.notification_id)!;
      assert.deepEqual([seen.failed, seen.ok], [2, 1], 'delivered once');
      assert.match(seen.body.text, /特急公文《关于做好2026年电子公文交换工作的通知》.*请立即签收/);
    }
    await ledger.jobs.stop();
  } finally {
    server.close();
  }
});
