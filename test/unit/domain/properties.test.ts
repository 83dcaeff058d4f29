import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Actor } from '../../../schemas/common.ts';
import {
  AssignHandling,
  CompleteHandling,
  DeliverDocument,
  FileIncoming,
  GiveInstruction,
  MarkDocumentRead,
  ReceiveDocument,
  RegisterIncoming,
  ReturnDocument,
} from '../../../schemas/commands/delivery.ts';
import { DraftDocument, FileDocument, RecallDocument, ReviseDraft, SealDocument, SendDocument, SignOffDocument } from '../../../schemas/commands/document.ts';
import { ReleaseDocumentNumber, ReserveDocumentNumber } from '../../../schemas/commands/numbering.ts';
import { deliveryEvents, type DeliveryEvent } from '../../../schemas/events/delivery.ts';
import { createEventRegistry } from '../../../schemas/registry.ts';
import { deliveryDecider, type DeliveryState } from '../../../src/domain/delivery/index.ts';
import { documentDecider, type DocumentCommand, type DocumentEvent, type DocumentState } from '../../../src/domain/document/index.ts';
import { numberingDecider, type NumberingEvent, type NumberingState } from '../../../src/domain/numbering/index.ts';
import { Refusal } from '../../../src/domain/refusal.ts';
import {
  archivist,
  assertValidEvents,
  BUREAU,
  clerk,
  command,
  context,
  COUNTY_A,
  COUNTY_B,
  draftInput,
  leader,
  number12,
  outsider,
  sealKeeper,
  sealSignature,
} from '../../support/document-fixtures.ts';

// Issue 16: random command sequences against the pure deciders (document, numbering, delivery),
// driven the way the handlers drive them (the number reserved before sealing, stale reservations
// released, deliveries made on DocumentSent), never break an invariant:
//   no send without a seal · one receipt per delivery · numbers gap-free and unique ·
//   filed is terminal · a refused command is a Refusal and changes nothing.
// `FC_RUNS` raises the run count (the faults script runs many more).

const RUNS = Number(process.env.FC_RUNS ?? 150);
const DOCS = ['doc-p-1', 'doc-p-2'];
const RECIPIENTS = [COUNTY_A, COUNTY_B, BUREAU];
const NOW = '2025-03-09T02:00:00.000Z';
const deliveryRegistry = createEventRegistry(deliveryEvents);

const issuerActors: Actor[] = [clerk, leader, sealKeeper, archivist, outsider];
const recipientActors = (unitId: string): Actor[] => [
  { userId: `${unitId}-clerk`, unitId, role: 'CLERK' },
  { userId: `${unitId}-leader`, unitId, role: 'LEADER' },
  { userId: 'stranger', unitId: 'fy-somewhere-else', role: 'CLERK' },
];

type Step =
  | { kind: 'document'; doc: number; action: DocumentAction | 'next'; actor: number; n: number }
  | { kind: 'delivery'; doc: number; unit: number; action: DeliveryAction | 'next'; actor: number };
type DocumentAction = 'draft' | 'revise' | 'signOff' | 'seal' | 'send' | 'recall' | 'file';
type DeliveryAction = 'receive' | 'return' | 'register' | 'read' | 'instruct' | 'assign' | 'complete' | 'file';

const nextForDocument: Record<string, DocumentAction> = { none: 'draft', drafted: 'signOff', signedOff: 'seal', sealed: 'send', sent: 'file', recalled: 'send', filed: 'file' };
function nextForDelivery(d: DeliveryState | undefined): DeliveryAction {
  if (!d || d.status !== 'received') return d?.status === 'filed' ? 'read' : 'receive';
  if (!d.assignment) return 'assign';
  return d.completedAt ? 'file' : 'complete';
}

const step: fc.Arbitrary<Step> = fc.oneof(
  // Weighted towards the happy path, so long histories (sent, received, filed) are common.
  { weight: 3, arbitrary: fc.record({
    kind: fc.constant('document' as const),
    doc: fc.nat({ max: DOCS.length - 1 }),
    // 'next': whatever moves this document on from where it stands (decided when the step runs).
    action: fc.constantFrom('draft', 'revise', 'signOff', 'seal', 'send', 'recall', 'file', 'next', 'next', 'next', 'next'),
    actor: fc.nat({ max: 9 }),
    n: fc.nat({ max: 3 }),
  }) },
  { weight: 2, arbitrary: fc.record({
    kind: fc.constant('delivery' as const),
    doc: fc.nat({ max: DOCS.length - 1 }),
    unit: fc.nat({ max: RECIPIENTS.length - 1 }),
    action: fc.constantFrom('receive', 'return', 'register', 'read', 'instruct', 'assign', 'complete', 'file', 'next', 'next', 'next', 'next'),
    actor: fc.nat({ max: 5 }),
  }) },
);

/** The actor a step names; low numbers pick the role that usually may act, so not every step is refused. */
function documentActor(action: string, pick: number): Actor {
  // Drafts are the issuer's (the model keeps one numbering stream, the issuer's).
  if (pick < 6 || action === 'draft') return { draft: clerk, revise: clerk, signOff: leader, seal: sealKeeper, send: clerk, recall: clerk, file: archivist }[action]!;
  return issuerActors[pick % issuerActors.length]!;
}

class World {
  docs = DOCS.map(() => ({ state: documentDecider.initialState() as DocumentState, events: [] as DocumentEvent[] }));
  numbering: NumberingState = numberingDecider.initialState();
  numberingEvents: NumberingEvent[] = [];
  deliveries = new Map<string, { state: DeliveryState; events: DeliveryEvent[] }>();
  private seq = 0;

  commandId = () => `cmd-prop-${String(++this.seq).padStart(6, '0')}`;

  /** Runs one decision; a refusal must be a Refusal and leave the state as it was. */
  decide<S, E>(state: S, fn: () => E[]): E[] | null {
    const before = structuredClone(state);
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      assert.deepEqual(state, before, `refused (${error.code}) but the state changed`);
      return null;
    }
  }

  private releaseStale(i: number): void {
    const doc = this.docs[i]!;
    const held = this.numbering.numbers.get(DOCS[i]!);
    if (!held || doc.state.status === 'none') return;
    const c = command(ReleaseDocumentNumber, { commandId: this.commandId(), documentId: DOCS[i], unitId: this.numbering.key!.unitId, prefix: held.prefix, year: held.year });
    const out = this.decide(this.numbering, () =>
      numberingDecider.decide(c, this.numbering, { actor: { userId: 'system', unitId: 'ledger', role: 'SYSTEM' }, now: NOW, holder: doc.state as never }),
    );
    if (out) this.applyNumbering(out);
  }

  private applyNumbering(events: NumberingEvent[]): void {
    assertValidEvents(events);
    for (const e of events) this.numbering = numberingDecider.evolve(this.numbering, e);
    this.numberingEvents.push(...events);
  }

  document(step: Extract<Step, { kind: 'document' }>): void {
    const doc = this.docs[step.doc]!;
    const documentId = DOCS[step.doc]!;
    const s = { ...step, action: step.action === 'next' ? nextForDocument[doc.state.status]! : step.action };
    const actor = documentActor(s.action, s.actor);
    const id = this.commandId();
    let cmd: DocumentCommand;
    let ctx = context({ actor, signedRecipients: this.signedRecipients(documentId) });
    switch (s.action) {
      case 'draft':
        cmd = command(DraftDocument, { ...draftInput, commandId: id, documentId, mainRecipients: RECIPIENTS.slice(0, 1 + s.n % 3), ccRecipients: [] });
        break;
      case 'revise':
        cmd = command(ReviseDraft, { commandId: id, documentId, title: `${draftInput.title}（修订${s.n}）` });
        break;
      case 'signOff':
        cmd = command(SignOffDocument, { commandId: id, documentId });
        break;
      case 'seal': {
        cmd = command(SealDocument, { commandId: id, documentId, sealId: ctx.seal!.sealId, passphrase: 'x' });
        // As the handler does: reserve the number under the current sign-off first.
        if (doc.state.status === 'signedOff' && actor.unitId === doc.state.issuerUnitId) {
          const reserve = command(ReserveDocumentNumber, {
            commandId: this.commandId(),
            documentId,
            unitId: doc.state.issuerUnitId,
            prefix: doc.state.content.docNumberPrefix,
            year: 2025,
            signedOffAt: doc.state.signOff!.signedOffAt,
          });
          const out = this.decide(this.numbering, () => numberingDecider.decide(reserve, this.numbering, { actor, now: NOW }));
          if (out) this.applyNumbering(out);
          const held = this.numbering.numbers.get(documentId);
          if (held) ctx = { ...ctx, number: held, signature: sealSignature(doc.state, held) };
        } else ctx = { ...ctx, number: number12, signature: '' };
        break;
      }
      case 'send':
        cmd = command(SendDocument, { commandId: id, documentId });
        break;
      case 'recall':
        cmd = command(RecallDocument, { commandId: id, documentId, reason: '主送单位有误' });
        break;
      case 'file':
        cmd = command(FileDocument, { commandId: id, documentId, retention: 'D30', fondsCode: '0194', organisationCode: 'BGS', pages: 3 });
        break;
    }
    const before = doc.state;
    const out = this.decide(doc.state, () => documentDecider.decide(cmd, doc.state, ctx as never));
    if (before.status === 'filed') assert.equal(out, null, `${cmd.type} accepted on a filed document`);
    if (!out) return;
    assertValidEvents(out);
    for (const e of out) {
      if (e.type === 'DocumentSent') {
        // No send without seal: the state it was decided on carries the seal and its number.
        assert.ok(before.status === 'sealed' || before.status === 'recalled', `sent from ${before.status}`);
        assert.ok('sealing' in before && before.sealing && before.number, 'sent without a seal');
      }
      doc.state = documentDecider.evolve(doc.state, e);
      doc.events.push(e);
      if (e.type === 'DocumentSent') for (const r of e.data.recipients) this.deliver(documentId, r.unitId, e);
    }
    for (let i = 0; i < DOCS.length; i++) this.releaseStale(i);
  }

  private signedRecipients(documentId: string): string[] {
    return RECIPIENTS.filter((u) => this.deliveries.get(`${documentId}.${u}`)?.state.receivedAt);
  }

  private deliver(documentId: string, unitId: string, sent: Extract<DocumentEvent, { type: 'DocumentSent' }>): void {
    const key = `${documentId}.${unitId}`;
    const d = this.deliveries.get(key) ?? { state: deliveryDecider.initialState(), events: [] };
    this.deliveries.set(key, d);
    const doc = this.docs[DOCS.indexOf(documentId)]!.state;
    if (doc.status === 'none') return;
    const c = command(DeliverDocument, {
      documentId,
      unitId,
      kind: 'main',
      issuerUnitId: doc.issuerUnitId,
      title: doc.content.title,
      docNumber: doc.number?.docNumber ?? '',
      docType: doc.content.docType,
      urgency: doc.content.urgency,
      sentAt: NOW,
      sentEventId: `00000000-0000-4000-8000-${String(d.events.length + 1).padStart(12, '0')}`,
    });
    const out = this.decide(d.state, () => deliveryDecider.decide(c, d.state, { actor: { userId: 'system', unitId: 'ledger', role: 'SYSTEM' }, now: NOW }));
    if (out) this.applyDelivery(d, out);
  }

  private applyDelivery(d: { state: DeliveryState; events: DeliveryEvent[] }, events: DeliveryEvent[]): void {
    for (const e of events) {
      const parsed = deliveryRegistry.parse(e.type, deliveryRegistry.definition(e.type)!.schemaVersion, e.data);
      assert.deepEqual(parsed.data, e.data, `${e.type} changes when parsed by its schema`);
      d.state = deliveryDecider.evolve(d.state, e);
      d.events.push(e);
    }
  }

  delivery(step: Extract<Step, { kind: 'delivery' }>): void {
    const documentId = DOCS[step.doc]!;
    const unitId = RECIPIENTS[step.unit]!;
    const d = this.deliveries.get(`${documentId}.${unitId}`) ?? { state: deliveryDecider.initialState(), events: [] };
    const s = { ...step, action: step.action === 'next' ? nextForDelivery(this.deliveries.get(`${documentId}.${unitId}`)?.state) : step.action };
    const actors = recipientActors(unitId);
    const actor = s.actor < 4 ? actors[s.action === 'instruct' ? 1 : 0]! : actors[s.actor % actors.length]!;
    const base = { commandId: this.commandId(), documentId, unitId };
    const cmd = {
      receive: () => command(ReceiveDocument, base),
      return: () => command(ReturnDocument, { ...base, reason: '非本单位主管事项' }),
      register: () => command(RegisterIncoming, base),
      read: () => command(MarkDocumentRead, base),
      instruct: () => command(GiveInstruction, { ...base, kind: '批示', text: '请按要求办理' }),
      assign: () => command(AssignHandling, { ...base, assigneeDepartment: '综合科', dueDate: '2025-03-20' }),
      complete: () => command(CompleteHandling, { ...base, result: '已办理' }),
      file: () => command(FileIncoming, { ...base, retention: 'D10' }),
    }[s.action]();
    const wasFiled = d.state.status === 'filed';
    const out = this.decide(d.state, () => deliveryDecider.decide(cmd as never, d.state, { actor, now: NOW }));
    if (wasFiled) assert.equal(out, null, `${cmd.type} accepted on a filed delivery`);
    if (out && this.deliveries.has(`${documentId}.${unitId}`)) this.applyDelivery(d, out);
    else assert.ok(!out || out.length === 0, `${cmd.type} accepted on a delivery that was never made`);
  }

  checkInvariants(): void {
    // One receipt per delivery.
    for (const [key, d] of this.deliveries) {
      assert.ok(d.events.filter((e) => e.type === 'DocumentReceived').length <= 1, `${key} signed for twice`);
    }
    // Numbers: the held ones are distinct, and held ∪ free is exactly 1..last (no gap, no double).
    const held = [...this.numbering.numbers.values()].map((r) => r.number);
    assert.equal(new Set(held).size, held.length, `a number held twice: ${held}`);
    const all = [...held, ...this.numbering.free].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: this.numbering.lastNumber }, (_, i) => i + 1), 'the register has a gap or a double');
    // Sealed documents carry distinct numbers, each the one their reservation holds.
    const sealed = this.docs.flatMap((d) => ('sealing' in d.state && d.state.sealing && d.state.number ? [d.state.number.docNumber] : []));
    assert.equal(new Set(sealed).size, sealed.length, `two documents sealed with one number: ${sealed}`);
  }
}

test('random command sequences never break the deciders’ invariants', () => {
  let longest = 0;
  const statuses = new Set<string>();
  fc.assert(
    fc.property(fc.array(step, { minLength: 10, maxLength: 100, size: 'max' }), (steps) => {
      const world = new World();
      for (const s of steps) {
        if (s.kind === 'document') world.document(s);
        else world.delivery(s);
        world.checkInvariants();
        for (const d of world.docs) statuses.add(d.state.status);
        for (const d of world.deliveries.values()) statuses.add(`delivery:${d.state.status}`);
      }
      longest = Math.max(longest, ...world.docs.map((d) => d.events.length));
    }),
    { numRuns: RUNS },
  );
  // The generator reaches the far states, so the invariants were tested where they matter.
  for (const s of ['sealed', 'sent', 'filed', 'delivery:received', 'delivery:filed']) assert.ok(statuses.has(s), `no run reached ${s}: ${[...statuses]}`);
});
