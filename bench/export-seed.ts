/**
 * A closed year for the export bench (bench/export.ts), seeded fast and honestly.
 *
 * 1. Through the real command service: the 全宗 0001 — the city office and `recipients` of its
 *    internal departments (units of the same fonds) — a USB-key seal (client custody, the key held
 *    here), and `templates` documents with real attachments (a PDF made by pdf-lib, a PNG), each
 *    drafted, signed off, prepared, signed, sealed, sent, received and filed as 收文 by every
 *    department and filed as 发文 by the office; their renderings recorded by the real recorder.
 * 2. Clones of those documents' event families (document and delivery streams), each with its own
 *    id, 发文字号 and 题名, so its sealed content — and the SM3 the seal signs — is its own: the
 *    content digest is recomputed from the clone's folded events and signed afresh with the seal's
 *    key, exactly as the USB key signs. They are appended through the event store (validated by
 *    the registry, hash-chained, MACed).
 * 3. Each clone's fixed-layout rendering rendered and recorded by the real rendering recorder
 *    (src/app/reactors/rendering-recorder.ts, lanes of their own worker): never a rendering of
 *    other content. The departments' 收文 copies are the same document and share its rendering and
 *    attachments, as they do in the ledger — which is what keeps rendering affordable: a dossier
 *    of N items holds N / (recipients + 1) sealed documents.
 * 4. The read models caught up, the process managers' checkpoints set past the clones (their
 *    deliveries are cloned with them), and the year closed by the real CloseDossier command.
 */
import { randomUUID } from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { eventRegistry } from '../schemas/events/index.ts';
import type { Actor } from '../schemas/common.ts';
import { readUploads, storeAcceptedUploads } from '../src/api/api-commands.ts';
import type { Principal } from '../src/app/authorization.ts';
import { sealingContentOf } from '../src/app/commands/sealing-commands.ts';
import { createLedger } from '../src/app/ledger.ts';
import { renderingRecorder } from '../src/app/reactors/rendering-recorder.ts';
import { loadConfig } from '../src/config/config.ts';
import { createPool } from '../src/db/database.ts';
import { fold } from '../src/domain/decider.ts';
import { contentDigest, documentDecider, sealedContent, type DocumentEvent, type DocumentRecord } from '../src/domain/document/index.ts';
import { streams } from '../src/domain/streams.ts';
import type { NewEvent, RecordedEvent } from '../src/eventstore/port.ts';
import { encodeFeedPosition } from '../src/eventstore/postgres/feed-position.ts';
import { PostgresEventStore } from '../src/eventstore/postgres/postgres-event-store.ts';
import { generateSm2KeyPair, sm2Sign } from '../src/integrity/sm2.ts';
import { RenderWorker } from '../src/render/index.ts';
import { SealKeyVault } from '../src/seal/seal-key-vault.ts';
import { appendByStream, runWorkers } from './projections.ts';
import { round } from './server.ts';
import { samplePng } from '../test/support/sample-files.ts';

export interface SeedOptions {
  /** Items (件) in the closed dossier: sealed documents × (recipients + 1). */
  items: number;
  /** Departments of the fonds each document is sent to and filed by. */
  recipients: number;
  /** Documents made through the real commands, the others cloned from them. */
  templates: number;
  /** Concurrent appenders of the clones. */
  writers: number;
  /** Rendering lanes, each with its own worker thread. */
  renderLanes: number;
}

export interface SeededYear {
  fonds: string;
  year: number;
  items: number;
  documents: number;
  renderings: number;
  events: number;
  seconds: { templates: number; clones: number; renderings: number; readModels: number; close: number; total: number };
}

const FONDS = '0001';
const PREFIX = '阜政办';
const SYSTEM: Principal = { kind: 'system' };
const user = (userId: string, unitId: string, ...roles: string[]): Principal => ({ kind: 'user', userId, unitId, roles: roles as never, active: true });

export async function seedClosedYear(url: string, dataDir: string, opts: SeedOptions): Promise<SeededYear> {
  const started = performance.now();
  const config = loadConfig({ DATABASE_URL: url, GONGWEN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const pool = createPool(url);
  const ledger = await createLedger(config, { url, pool, embedded: false, close: async () => {} });
  try {
    let n = 0;
    const run = (p: Principal, type: string, input: Record<string, unknown>) => ledger.commands.execute(p, type, { commandId: `seed-${++n}-${type}`, ...input });
    const documents = Math.max(opts.templates, Math.ceil(opts.items / (opts.recipients + 1)));

    // ---- 1. the fonds and the template documents, through the commands ----------------------------
    await run(SYSTEM, 'RegisterUnit', { unitId: 'office', name: '阜阳市人民政府办公室', kind: 'city-office', fondsCode: FONDS, docNumberPrefixes: [PREFIX] });
    await run(SYSTEM, 'RegisterUser', { userId: 'admin', unitId: 'office', name: '王管理', roles: ['SUPER_ADMIN'] });
    const admin = user('admin', 'office', 'SUPER_ADMIN');
    const departments = Array.from({ length: opts.recipients }, (_, i) => `dept${i + 1}`);
    for (const [i, unitId] of departments.entries()) {
      await run(admin, 'RegisterUnit', { unitId, name: `阜阳市人民政府办公室第${i + 1}秘书科`, kind: 'city-department', parentUnitId: 'office', fondsCode: FONDS, docNumberPrefixes: [`阜政办${i + 1}科`] });
      await run(admin, 'RegisterUser', { userId: `${unitId}-clerk`, unitId, name: `文书${i + 1}`, roles: ['CLERK'] });
    }
    for (const [id, roles] of [['clerk', ['CLERK']], ['leader', ['LEADER']], ['keeper', ['SEAL_KEEPER']], ['archivist', ['ARCHIVIST']]] as const) {
      await run(admin, 'RegisterUser', { userId: id, unitId: 'office', name: '张文书', roles });
    }
    const usbKey = generateSm2KeyPair();
    await run(admin, 'IssueSeal', {
      keyCustody: 'client', publicKey: usbKey.publicKeyHex, sealId: 'seal', unitId: 'office', name: '阜阳市人民政府办公室', sealType: '公文专用章',
      validFrom: '2020-01-01T00:00:00.000Z', validTo: '2099-12-31T00:00:00.000Z', keeperUserIds: ['keeper'],
    });
    const sign = (digestHex: string) => sm2Sign(usbKey.privateKeyHex, Buffer.from(digestHex, 'hex'));
    const clerk = user('clerk', 'office', 'CLERK');
    const leader = user('leader', 'office', 'LEADER');
    const keeper = user('keeper', 'office', 'SEAL_KEEPER');
    const attachmentFiles = await sampleAttachments();
    const templateIds: string[] = [];
    for (let t = 0; t < opts.templates; t++) {
      const documentId = `t${t}`;
      templateIds.push(documentId);
      const uploads = readUploads(
        attachmentFiles.slice(0, 1 + (t % attachmentFiles.length)).map((a) => ({ name: a.name, mediaType: a.mediaType, contentBase64: a.bytes.toString('base64') })),
      );
      await storeAcceptedUploads(pool, uploads);
      await run(clerk, 'DraftDocument', {
        documentId,
        title: titleOf(t),
        docType: '通知',
        body: `各科室：\n　　现将第${t}项工作有关事项通知如下。${'请认真贯彻落实，按时报送工作进展情况。'.repeat(12 + (t % 5) * 6)}`,
        attachments: uploads.attachments,
        mainRecipients: departments,
        docNumberPrefix: PREFIX,
      });
      await run(leader, 'SignOffDocument', { documentId });
      await run(keeper, 'PrepareSealing', { documentId, sealId: 'seal' });
      const content = await sealingContentOf(ledger.store, config.GONGWEN_TIMEZONE, documentId, new Date().toISOString());
      await run(keeper, 'SealDocument', { documentId, sealId: 'seal', signature: sign(content.contentDigest) });
      await run(clerk, 'SendDocument', { documentId });
      await ledger.settle();
      for (const unitId of departments) {
        const deptClerk = user(`${unitId}-clerk`, unitId, 'CLERK');
        await run(deptClerk, 'ReceiveDocument', { documentId, unitId });
        await run(deptClerk, 'FileIncoming', { documentId, unitId, retention: retentionOf(t) });
      }
      await run(clerk, 'FileDocument', { documentId, retention: retentionOf(t), fondsCode: FONDS });
    }
    await ledger.renderings.catchUp();
    await ledger.settle();
    const templatesSeconds = (performance.now() - started) / 1000;

    // ---- 2. the clones, through the event store ---------------------------------------------------
    const clonesStarted = performance.now();
    const store = new PostgresEventStore({ pool, registry: eventRegistry, macKey: ledger.key.macKey });
    const families = await Promise.all(templateIds.map((id) => readFamily(store, id, departments)));
    // The year of the templates' numbers (the ledger's time zone decided it): the clones continue it.
    const sealedTemplate = families[0]!.flatMap((a) => a.events).find((e) => e.type === 'DocumentSealed')!.data as { docNumber: string };
    const year = Number(/〔(\d{4})〕/.exec(sealedTemplate.docNumber)![1]);
    const work = Array.from({ length: documents - opts.templates }, (_, i) => opts.templates + i);
    await runWorkers(work, opts.writers, (i) => appendByStream(store, cloneDocument(families[i % families.length]!, i, year, sign)));
    await store.awaitVisible();
    // The clones carry their deliveries and are rendered below: the process managers start past them.
    const { rows: tail } = await pool.query<{ txid: string; g: string }>('SELECT transaction_id::text AS txid, global_position::text AS g FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1');
    const end = encodeFeedPosition(tail[0]!.txid, tail[0]!.g);
    for (const r of [...ledger.reactors, ledger.renderings]) {
      await pool.query('INSERT INTO reactor_checkpoints (name, position) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position', [r.reactor.name, end]);
    }
    const clonesSeconds = (performance.now() - clonesStarted) / 1000;

    // ---- 3. each clone's rendering, by the real recorder ------------------------------------------
    const renderStarted = performance.now();
    const { rows: sealedRows } = await pool.query<{ stream_id: string }>(
      "SELECT stream_id FROM events WHERE type = 'DocumentSealed' AND stream_id <> ALL($1::text[]) ORDER BY global_position",
      [templateIds.map((id) => streams.document(id))],
    );
    const deps = { store: ledger.store, pool, config, vault: new SealKeyVault(pool, ledger.key.macKey), sealIssuer: ledger.key, supervision: ledger.supervision, now: () => new Date() };
    const workers = Array.from({ length: opts.renderLanes }, () => new RenderWorker());
    const recorders = workers.map((w) => renderingRecorder(deps, config, w));
    let nextSealed = 0;
    try {
      await Promise.all(
        recorders.map(async (recorder) => {
          for (let i = nextSealed++; i < sealedRows.length; i = nextSealed++) {
            const sealed = (await ledger.store.readStream(sealedRows[i]!.stream_id)).events.find((e) => e.type === 'DocumentSealed')!;
            await recorder.handle(sealed);
          }
        }),
      );
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
    const renderSeconds = (performance.now() - renderStarted) / 1000;

    // ---- 4. read models, then the real closing ----------------------------------------------------
    const readStarted = performance.now();
    await ledger.settle();
    const readSeconds = (performance.now() - readStarted) / 1000;
    const closeStarted = performance.now();
    await run(user('archivist', 'office', 'ARCHIVIST'), 'CloseDossier', { fonds: FONDS, year });
    const closeSeconds = (performance.now() - closeStarted) / 1000;
    const { rows: count } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    const closed = (await ledger.store.readStream(streams.dossier(FONDS, year))).events.find((e) => e.type === 'DossierClosed')!;
    return {
      fonds: FONDS,
      year,
      items: (closed.data as { items: unknown[] }).items.length,
      documents,
      renderings: sealedRows.length + templateIds.length,
      events: count[0]!.n,
      seconds: {
        templates: round(templatesSeconds, 1),
        clones: round(clonesSeconds, 1),
        renderings: round(renderSeconds, 1),
        readModels: round(readSeconds, 1),
        close: round(closeSeconds, 1),
        total: round((performance.now() - started) / 1000, 1),
      },
    };
  } finally {
    await ledger.close();
    await pool.end();
  }
}

const titleOf = (i: number) => `阜阳市人民政府办公室关于做好第${i + 1}项重点工作的通知`;
const retentionOf = (i: number) => (['Y', 'D30', 'D10'] as const)[i % 3];

// ---- the template's events and their clones ---------------------------------------------------------

interface Append {
  streamId: string;
  actor: Actor;
  events: RecordedEvent[];
}

/** A document's own stream and its deliveries, as appended (runs of one command on one stream), in feed order. */
async function readFamily(store: PostgresEventStore, documentId: string, departments: readonly string[]): Promise<Append[]> {
  const reads = await Promise.all([streams.document(documentId), ...departments.map((u) => streams.delivery(documentId, u))].map((s) => store.readStream(s)));
  const events = reads.flatMap((r) => r.events).sort((a, b) => a.globalPosition - b.globalPosition);
  const out: Append[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (last && last.streamId === e.streamId && last.events[0]!.commandId === e.commandId) last.events.push(e);
    else out.push({ streamId: e.streamId, actor: e.actor, events: [e] });
  }
  return out;
}

/**
 * Clone `i` of a template document: its id, 发文字号 (the next numbers of the prefix and year, after
 * the templates') and 题名 replaced wherever the events carry them; the sealed content's digest
 * recomputed from the clone's own events up to its sign-off and signed with the seal's key;
 * DocumentSent given a fresh id that its deliveries point at. Times, people, attachments and the
 * seal record stay the template's.
 */
function cloneDocument(family: Append[], i: number, year: number, sign: (digestHex: string) => string): { streamId: string; actor: Actor; events: NewEvent[] }[] {
  const template = family[0]!.events[0]!.data as { documentId: string; content?: { title: string } };
  const templateId = template.documentId;
  const sealed = family.flatMap((a) => a.events).find((e) => e.type === 'DocumentSealed')!.data as { docNumber: string; contentDigest: string };
  const id = `c${i}`;
  const docNumber = `${PREFIX}〔${year}〕${i + 1}号`;
  const replace = new Map<string, string>([
    [templateId, id],
    [sealed.docNumber, docNumber],
    [(family[0]!.events[0]!.data as { title: string }).title, titleOf(i)],
  ]);
  const sentIds = new Map<string, string>();
  const transform = (value: unknown, key: string): unknown => {
    if (typeof value === 'string') {
      if (key === 'sentEventId') return sentIds.get(value) ?? value;
      return replace.get(value) ?? value;
    }
    if (Array.isArray(value)) return value.map((v) => transform(v, ''));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, transform(v, k)]));
    return value;
  };
  const cloned: { streamId: string; actor: Actor; events: NewEvent[] }[] = [];
  const documentEvents: NewEvent[] = [];
  for (const a of family) {
    const events = a.events.map((e): NewEvent => {
      const eventId = e.type === 'DocumentSent' ? randomUUID() : undefined;
      if (eventId) sentIds.set(e.eventId, eventId);
      let data = transform(e.data, '') as Record<string, unknown>;
      if (e.type === 'DocumentSealed') {
        // What the seal signs is the clone's own content: fold its events up to here.
        const state = fold(documentDecider, documentEvents as unknown as DocumentEvent[]) as DocumentRecord;
        const digest = contentDigest(sealedContent(state, { docNumber }));
        replace.set(sealed.contentDigest, digest);
        data = { ...data, contentDigest: digest, signature: sign(digest) };
      }
      const event: NewEvent = { type: e.type, data, occurredAt: e.occurredAt, ...(eventId && { eventId }) };
      if (a.streamId === streams.document(templateId)) documentEvents.push(event);
      return event;
    });
    cloned.push({ streamId: a.streamId.replace(templateId, id), actor: a.actor, events });
  }
  return cloned;
}

// ---- attachments: real files of the allowed formats --------------------------------------------------

/** A text PDF (pdf-lib) and a PNG (test/support's): what an attachment of a 通知 typically is. */
async function sampleAttachments(): Promise<{ name: string; mediaType: string; bytes: Buffer }[]> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < 3; p++) {
    const page = pdf.addPage([595, 842]);
    for (let line = 0; line < 40; line++) page.drawText(`Work plan, page ${p + 1}, line ${line + 1}: targets, owners, deadlines and checks.`, { x: 50, y: 800 - line * 18, size: 10, font });
  }
  pdf.setCreationDate(new Date('2026-01-01T00:00:00Z'));
  pdf.setModificationDate(new Date('2026-01-01T00:00:00Z'));
  return [
    { name: '工作方案.pdf', mediaType: 'application/pdf', bytes: Buffer.from(await pdf.save()) },
    { name: '现场照片.png', mediaType: 'image/png', bytes: samplePng(160, 120) },
  ];
}

