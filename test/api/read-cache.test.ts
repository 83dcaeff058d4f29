import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestLedger, seedCity, cmdId, SEAL_PASSPHRASE } from '../support/ledger.ts';
import { startApi } from '../support/http.ts';
import { createLedger } from '../../src/app/ledger.ts';
import { openDatabase } from '../../src/db/database.ts';

/**
 * The API's read cache (src/api/read-cache.ts) through the real server on real PostgreSQL: a kept
 * answer is the same bytes, and it is never served once the read models it came from changed —
 * by this server's own mutation, by a command of another process, by another process's rebuild —
 * nor to a user whose rights changed, nor to any other user.
 */
describe('the read cache', async () => {
  const ledger = await createTestLedger();
  const { admin } = await seedCity(ledger);
  ledger.start();
  const api = await startApi(ledger);
  // Another process on the same database, as the CLI or a second `gongwen serve` is.
  const otherDb = await openDatabase(ledger.config);
  const other = await createLedger(ledger.config, otherDb);
  after(async () => {
    await api.close();
    await other.close();
    await otherDb.close();
    await ledger.close();
  });

  const UNIT_TIMELINE = 'query ($u: ID!) { unitTimeline(unitId: $u, first: 50) { edges { node { type documentId actorUserId } } } }';
  const raw = async (userId: string, query: string, variables: Record<string, unknown>) => {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.tokenFor(userId)}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, text: await res.text() };
  };
  const stats = async () => ((await (await fetch(`${api.url}/health`)).json()) as { readCache: { hits: number; misses: number; entries: number; bytes: number } }).readCache;
  const documentsIn = (text: string) => new Set((JSON.parse(text).data.unitTimeline.edges as { node: { documentId: string | null } }[]).map((e) => e.node.documentId));
  const draft = (documentId: string) => ({
    documentId,
    title: '关于做好读缓存测试工作的通知',
    docType: 'NOTICE',
    urgency: 'ORDINARY',
    body: '　　现将有关事项通知如下。',
    mainRecipients: ['fin'],
    docNumberPrefix: '阜教',
    attachments: [],
  });

  test('a second ask is served the same bytes from the cache', async () => {
    // The first request of the day records the sign-in, an event of the unit's timeline: past it.
    await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' });
    await ledger.settle();
    const first = await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' });
    assert.equal(first.status, 200);
    const before = await stats();
    const second = await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' });
    assert.equal(second.text, first.text);
    assert.equal((await stats()).hits, before.hits + 1);
    // Other variables are another answer.
    assert.notEqual((await raw('admin', UNIT_TIMELINE, { u: 'fin' })).text, first.text);
  });

  test('a mutation through the API (waiting for the read models) shows in the next read', async () => {
    await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' });
    const id = `rc-${randomUUID().slice(0, 8)}`;
    const drafted = await api.mutate('edu-clerk', 'draftDocument', { ...draft(id), waitForReadModels: true });
    assert.equal(drafted.errors, undefined, JSON.stringify(drafted.errors));
    assert.ok(documentsIn((await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' })).text).has(id));
  });

  test('a command appended by another process shows once the feed has it, whichever process applied it', async () => {
    await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' });
    assert.ok((await stats()).entries > 0);
    const id = `rc-${randomUUID().slice(0, 8)}`;
    await other.commands.execute({ kind: 'user', userId: 'edu-clerk', unitId: 'edu', roles: ['CLERK', 'STAFF'], active: true }, 'DraftDocument', {
      commandId: cmdId(),
      documentId: id,
      title: '关于另一进程写入的通知',
      docType: '通知',
      urgency: '平件',
      classification: '非密',
      body: '　　另一进程。',
      attachments: [],
      mainRecipients: ['fin'],
      ccRecipients: [],
      docNumberPrefix: '阜教',
    });
    // The other process applies the batch itself (as `gongwen` commands catching up do): this
    // server's runner then finds its checkpoint moved, or applied it first.
    await other.projections.catchUp();
    await ledger.settle();
    // settle() finds the checkpoints already at the end; this server learns of the other's commit
    // when its own runner reaches those events (the runner's lag the README states): a moment later.
    let shown = false;
    for (let i = 0; i < 60 && !shown; i++) {
      shown = documentsIn((await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' })).text).has(id);
      if (!shown) await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.ok(shown, 'the other process’s document shows within 3 s');
  });

  test("another process's rebuild swapping the tables drops the answers kept from the old ones", async () => {
    // A read model damaged behind the ledger's back (what a rebuild is for), and its answer kept.
    const { rowCount } = await ledger.db.pool.query(`DELETE FROM audit_entries WHERE subject_unit_id = 'edu'`);
    assert.ok(rowCount! > 0);
    // Asked in a form not kept before (this server was not told of the damage: nothing announces it).
    const ASK = UNIT_TIMELINE.replace('first: 50', 'first: 49');
    const damaged = await raw('edu-leader', ASK, { u: 'edu' });
    assert.equal(documentsIn(damaged.text).size, 0);
    assert.equal((await raw('edu-leader', ASK, { u: 'edu' })).text, damaged.text);
    await other.projections.rebuild(['audit']);
    // The swap is announced by NOTIFY when it commits; it reaches this server a moment later.
    let repaired = damaged.text;
    for (let i = 0; i < 50 && repaired === damaged.text; i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      repaired = (await raw('edu-leader', ASK, { u: 'edu' })).text;
    }
    assert.notEqual(repaired, damaged.text);
    assert.ok(documentsIn(repaired).size > documentsIn(damaged.text).size);
  });

  test('a user whose role is taken away or whose credential is revoked never gets the kept answer', async () => {
    const token = await api.tokenFor('hlth-leader');
    const ask = () =>
      fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: UNIT_TIMELINE, variables: { u: 'hlth' } }),
      }).then(async (r) => JSON.parse(await r.text()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] });
    assert.equal((await ask()).errors, undefined);
    assert.equal((await ask()).errors, undefined);
    // Taken away through the API: counts from its answer on.
    const revoked = await api.mutate('admin', 'revokeRole', { userId: 'hlth-leader', role: 'LEADER' });
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));
    assert.equal((await ask()).errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
    // Given back (outside the API), asked again, then the credential revoked by another process.
    await ledger.commands.execute(admin, 'GrantRole', { commandId: cmdId(), userId: 'hlth-leader', role: 'LEADER' });
    await ledger.settle();
    assert.equal((await ask()).errors, undefined);
    assert.equal((await ask()).errors, undefined);
    const { rows } = await ledger.db.pool.query<{ credential_id: string }>(`SELECT credential_id FROM directory_credentials WHERE user_id = 'hlth-leader'`);
    for (const r of rows) await other.commands.execute(admin, 'RevokeCredential', { commandId: cmdId(), userId: 'hlth-leader', credentialId: r.credential_id });
    await ledger.settle();
    assert.equal((await ask()).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  });

  test('different users never share an answer: the same document and variables are asked afresh, and refusals are not kept', async () => {
    const asked = await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' });
    assert.equal(JSON.parse(asked.text).errors, undefined);
    for (let i = 0; i < 2; i++) assert.equal(JSON.parse((await raw('fin-leader', UNIT_TIMELINE, { u: 'edu' })).text).errors?.[0]?.extensions?.code, 'NOT_AUTHORISED');
    // Refused answers are not kept: the edu leader's answer is still the one kept, served the same.
    assert.equal((await raw('edu-leader', UNIT_TIMELINE, { u: 'edu' })).text, asked.text);
  });

  // Fine invalidation: a write drops the kept answers of the units and documents it touched, and
  // only those. Each "still a hit" fails if a write bumps more than its scopes; each "shows" (asked
  // until it does, for at most a few seconds) fails if a scope it touched is missed, because the
  // kept answer would then be served for ever.
  const INBOX = 'query { inbox(first: 20) { totalCount edges { node { documentId status } } } }';
  const SENT = 'query { sentDocuments(first: 20) { edges { node { documentId receivedCount } } } }';
  const TIMELINE = 'query ($d: ID!) { timeline(documentId: $d, first: 50) { edges { node { type } } } }';
  const must = async (userId: string, mutation: string, input: Record<string, unknown>) => {
    const r = await api.mutate(userId, mutation, input);
    assert.equal(r.errors, undefined, `${mutation}: ${JSON.stringify(r.errors)}`);
  };
  /** Asked again until `shows` holds of the answer (the runner applies the batch a moment later). */
  const until = async (userId: string, query: string, variables: Record<string, unknown>, shows: (data: any) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const data = JSON.parse((await raw(userId, query, variables)).text).data;
      if (shows(data)) return;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.fail(`${userId}: never shown (a kept answer outlived the write that changed it)`);
  };
  /**
   * Asks until an answer is kept: the next ask is a hit, the same bytes. Returns the answer. A
   * whole-projection drop may come between two asks even after quiet(): this server's runner
   * reaching batches another process applied first (the tests above) says 'moved', which drops
   * everything the projection kept — late, and safe. So a first miss is asked again, a few times.
   */
  const kept = async (userId: string, query: string, variables: Record<string, unknown> = {}) => {
    for (let attempt = 1; ; attempt++) {
      const first = await raw(userId, query, variables);
      const hits = (await stats()).hits;
      const second = await raw(userId, query, variables);
      if ((await stats()).hits === hits + 1) {
        assert.equal(second.text, first.text, `${userId}: a hit serves the same bytes`);
        return first.text;
      }
      assert.ok(attempt < 5, `${userId}: the second ask is a hit (not kept in ${attempt} tries)`);
      await new Promise((ok) => setTimeout(ok, 200));
    }
  };
  /** The kept answer is served again, as a hit. */
  const stillHit = async (userId: string, query: string, text: string, variables: Record<string, unknown> = {}) => {
    const hits = (await stats()).hits;
    assert.equal((await raw(userId, query, variables)).text, text);
    assert.equal((await stats()).hits, hits + 1, `${userId}: still a hit`);
  };
  const sent = async (documentId: string, mainRecipients: string[], ccRecipients: string[] = []) => {
    await must('edu-clerk', 'draftDocument', { ...draft(documentId), mainRecipients, ccRecipients });
    await must('edu-leader', 'signOffDocument', { documentId });
    await must('edu-keeper', 'sealDocument', { documentId, sealId: 'edu-seal', passphrase: SEAL_PASSPHRASE });
    await must('edu-clerk', 'sendDocument', { documentId });
  };
  /**
   * Everything committed so far applied, and any batch this server's runner lost to the catch-up
   * reported ('moved' bumps the whole projection: a kept answer must not be asked across it).
   */
  const quiet = async () => {
    await ledger.settle();
    await new Promise((ok) => setTimeout(ok, 300));
  };
  const item = (data: any, documentId: string) => (data?.inbox.edges as { node: { documentId: string; status: string } }[] | undefined)?.find((e) => e.node.documentId === documentId)?.node;

  test("a document sent to several units drops each recipient's kept inbox, and no other unit's", async () => {
    await quiet();
    const finBefore = await kept('fin-clerk', INBOX);
    await kept('hlth-clerk', INBOX);
    const eduInbox = await kept('edu-clerk', INBOX);
    const id = `rc-${randomUUID().slice(0, 8)}`;
    await sent(id, ['fin'], ['hlth']);
    // Delivered by the dispatch (in the background), then applied: each recipient's inbox shows it.
    await until('fin-clerk', INBOX, {}, (d) => item(d, id)?.status === 'AWAITING_RECEIPT');
    await until('hlth-clerk', INBOX, {}, (d) => item(d, id)?.status === 'AWAITING_RECEIPT');
    assert.notEqual((await raw('fin-clerk', INBOX, {})).text, finBefore);
    // The issuer received nothing: its kept inbox is still served.
    await stillHit('edu-clerk', INBOX, eduInbox);
  });

  test("a write in one unit's inbox shows in that unit's next reads and keeps another unit's kept answer", async () => {
    const id = `rc-${randomUUID().slice(0, 8)}`;
    await sent(id, ['fin', 'hlth']);
    await until('fin-clerk', INBOX, {}, (d) => item(d, id)?.status === 'AWAITING_RECEIPT');
    await until('hlth-clerk', INBOX, {}, (d) => item(d, id)?.status === 'AWAITING_RECEIPT');
    await quiet();
    const hlthInbox = await kept('hlth-clerk', INBOX);
    await kept('fin-clerk', INBOX);
    await kept('edu-clerk', SENT);
    const hlthSent = await kept('hlth-clerk', SENT);
    // fin signs for its copy (no wait): fin's inbox and the issuer's sent box change, nothing else.
    await must('fin-clerk', 'receiveDocument', { documentId: id, unitId: 'fin' });
    await until('fin-clerk', INBOX, {}, (d) => item(d, id)?.status === 'RECEIVED');
    await until('edu-clerk', SENT, {}, (d) => d?.sentDocuments.edges.some((e: any) => e.node.documentId === id && e.node.receivedCount === 1));
    await stillHit('hlth-clerk', INBOX, hlthInbox);
    await stillHit('hlth-clerk', SENT, hlthSent);
  });

  test("this server's own commands on a document show in its timeline, with or without the wait; another document's stays kept", async () => {
    const id = `rc-${randomUUID().slice(0, 8)}`;
    const other = `rc-${randomUUID().slice(0, 8)}`;
    await must('edu-clerk', 'draftDocument', { ...draft(id), waitForReadModels: true });
    await must('edu-clerk', 'draftDocument', { ...draft(other), waitForReadModels: true });
    await quiet();
    const types = (text: string) => (JSON.parse(text).data.timeline.edges as { node: { type: string } }[]).map((e) => e.node.type);
    await kept('edu-clerk', TIMELINE, { d: id });
    const otherTimeline = await kept('edu-clerk', TIMELINE, { d: other });
    // With the wait: the very next read shows it.
    await must('edu-leader', 'signOffDocument', { documentId: id, waitForReadModels: true });
    assert.ok(types((await raw('edu-clerk', TIMELINE, { d: id })).text).includes('DocumentSignedOff'));
    // Without: once the audit model has applied it.
    await must('edu-keeper', 'sealDocument', { documentId: id, sealId: 'edu-seal', passphrase: SEAL_PASSPHRASE });
    await until('edu-clerk', TIMELINE, { d: id }, (d) => d?.timeline.edges.some((e: any) => e.node.type === 'DocumentSealed'));
    await stillHit('edu-clerk', TIMELINE, otherTimeline, { d: other });
  });
});
