import type { z } from 'zod';
import * as C from '../../../schemas/commands/document.ts';
import { ReleaseDocumentNumber, ReserveDocumentNumber } from '../../../schemas/commands/numbering.ts';
import { canonicalSealedContent, checkSealable, contentDigest, documentDecider, sealedContent, type DocumentRecord, type SealSnapshot } from '../../domain/document/index.ts';
import type { AppendResult, EventStore } from '../../eventstore/port.ts';
import { numberingDecider, reservedNumberFor, staleReservation, yearOf, type HolderView, type Reservation } from '../../domain/numbering/index.ts';
import { Refusal } from '../../domain/refusal.ts';
import { sealDecider, sealSummary } from '../../domain/seal/index.ts';
import { streams } from '../../domain/streams.ts';
import { sm2Sign } from '../../integrity/sm2.ts';
import { SYSTEM_ACTOR } from '../authorization.ts';
import { handleCommand } from '../handle-command.ts';
import { loadState, loadUnit, retryPolicy, type CommandDeps } from './deps.ts';
import { outcomeOf, type CommandRoute, type Invocation } from './route.ts';
import { unlockSealKey } from './seal-keys.ts';

type Data<D extends { input: z.ZodType }> = z.infer<D['input']>;

export async function sealSnapshot(deps: CommandDeps, sealId: string): Promise<SealSnapshot | undefined> {
  return sealSummary((await loadState(deps.store, sealDecider, streams.seal(sealId))).state);
}

async function loadDocument(deps: CommandDeps, documentId: string) {
  return (await loadState(deps.store, documentDecider, streams.document(documentId))).state;
}

/**
 * The sealing checks on current state (who, which document, which seal), before anything is
 * reserved or unlocked: a sealing that will be refused reserves no number and asks for no key.
 */
async function precheck(deps: CommandDeps, inv: Invocation<{ documentId: string; sealId: string }>): Promise<{ doc: DocumentRecord; seal: SealSnapshot }> {
  const seal = await sealSnapshot(deps, inv.data.sealId);
  const doc = checkSealable(inv.data.documentId, inv.data.sealId, await loadDocument(deps, inv.data.documentId), { actor: inv.actor, now: inv.now, seal });
  return { doc, seal: seal! };
}

/** The document as the numbering decisions see it. */
const holderOf = (doc: DocumentRecord): HolderView => ({
  prefix: doc.content.docNumberPrefix,
  ...(doc.status === 'signedOff' && doc.signOff && { signedOffAt: doc.signOff.signedOffAt }),
  ...(doc.number && { number: doc.number }),
});

interface HeldReservation {
  streamId: string;
  reservation: Reservation;
}

/**
 * Every reservation the document holds: in the streams of its unit's prefixes (and its own), for
 * each year from its drafting to now. A reservation keeps its year, so a sealing begun on
 * 31 December and retried after midnight completes with the number it reserved.
 */
async function reservationsOf(store: EventStore, timeZone: string, doc: DocumentRecord, now: string): Promise<HeldReservation[]> {
  const unit = await loadUnit(store, doc.issuerUnitId);
  const prefixes = new Set([doc.content.docNumberPrefix, ...(unit.status === 'none' ? [] : unit.docNumberPrefixes)]);
  const streamIds: string[] = [];
  for (let year = yearOf(doc.draftedAt, timeZone); year <= yearOf(now, timeZone); year++) {
    for (const prefix of prefixes) streamIds.push(streams.numbering(doc.issuerUnitId, prefix, year));
  }
  const states = await Promise.all(streamIds.map((id) => loadState(store, numberingDecider, id)));
  return streamIds.flatMap((streamId, i) => {
    const reservation = reservedNumberFor(states[i]!.state, doc.documentId);
    return reservation ? [{ streamId, reservation }] : [];
  });
}

/** The reservation the document can be sealed with as it stands, if it holds one. */
function usableReservation(held: HeldReservation[], doc: DocumentRecord): HeldReservation | undefined {
  return held.find((h) => staleReservation(h.reservation, holderOf(doc)) === undefined);
}

/**
 * Gives back every reservation the document can no longer use (its sign-off was voided by a
 * revision, or its prefix changed), so the next sealing of that prefix and year takes the number
 * again. Each release is decided on the document as read after the numbering stream, and
 * staleness never reverts, so a number a sealing may still use is never released.
 */
async function releaseStale(deps: CommandDeps, inv: Invocation<unknown>, doc: DocumentRecord, held: HeldReservation[]): Promise<AppendResult[]> {
  const out: AppendResult[] = [];
  for (const { streamId, reservation } of held) {
    if (staleReservation(reservation, holderOf(doc)) === undefined) continue;
    const { documentId, prefix, year } = reservation;
    const data = ReleaseDocumentNumber.input.parse({ commandId: inv.commandId, documentId, unitId: doc.issuerUnitId, prefix, year });
    out.push(
      await handleCommand(
        deps.store,
        {
          streamId,
          decider: numberingDecider,
          context: async () => ({ actor: SYSTEM_ACTOR, now: inv.now, holder: holderOf((await loadDocument(deps, documentId)) as DocumentRecord) }),
        },
        { command: { type: 'ReleaseDocumentNumber', data }, commandId: inv.commandId, step: (rev) => `release/${streamId}@${rev}`, actor: SYSTEM_ACTOR, requestedBy: inv.actor, correlationId: inv.correlationId ?? inv.commandId },
        retryPolicy(deps),
      ),
    );
  }
  return out;
}

/**
 * What a USB key signs for this document: the sealed content with its reserved number, as
 * canonical JSON, and its SM3 digest. Only a signed-off document with a number has one.
 */
export async function sealingContentOf(store: EventStore, timeZone: string, documentId: string, now: string) {
  const doc = await loadState(store, documentDecider, streams.document(documentId)).then((r) => r.state);
  if (doc.status === 'none') throw new Refusal('NOT_FOUND', `公文「${documentId}」不存在 (no such document)`, { documentId });
  if (doc.status !== 'signedOff') {
    throw new Refusal('INVALID_STATE', `只有已签发、待盖章的公文才有待签内容，本公文当前状态为 ${doc.status} (not awaiting a seal)`, { documentId, status: doc.status });
  }
  const number = usableReservation(await reservationsOf(store, timeZone, doc, now), doc)?.reservation;
  if (!number) throw new Refusal('INVALID_STATE', '尚未预留文号：请先执行 PrepareSealing (no number reserved yet)', { documentId });
  const content = sealedContent(doc, number);
  return { doc, number, canonicalContent: canonicalSealedContent(content), contentDigest: contentDigest(content) };
}

/**
 * Numbers must be gap-free, and the numbering stream and the document stream cannot be written in
 * one transaction on every store, so the number is reserved first on
 * `numbering-<unit>.<prefix>.<year>`, where optimistic concurrency makes concurrent sealings take
 * 1, 2, 3…, under the document's current sign-off. A document that holds a usable reservation
 * (any year) keeps it, so a retry after a crash leaves no gap; reservations it can no longer use
 * are released first. `own`: the reservation is the command's own append (PrepareSealing), not a
 * step of it (SealDocument).
 */
async function reserveNumber(deps: CommandDeps, inv: Invocation<{ documentId: string }>, doc: DocumentRecord, own: boolean) {
  const held = await reservationsOf(deps.store, deps.config.GONGWEN_TIMEZONE, doc, inv.now);
  const released = await releaseStale(deps, inv, doc, held);
  const usable = usableReservation(held, doc);
  if (usable) return { appended: released, number: usable.reservation };

  const prefix = doc.content.docNumberPrefix;
  const year = yearOf(inv.now, deps.config.GONGWEN_TIMEZONE);
  const streamId = streams.numbering(doc.issuerUnitId, prefix, year);
  const data = ReserveDocumentNumber.input.parse({ commandId: inv.commandId, documentId: doc.documentId, unitId: doc.issuerUnitId, prefix, year, signedOffAt: doc.signOff!.signedOffAt });
  const reserved = await handleCommand(
    deps.store,
    { streamId, decider: numberingDecider, context: () => ({ actor: own ? inv.actor : SYSTEM_ACTOR, now: inv.now }) },
    own
      ? { command: { type: 'ReserveDocumentNumber', data }, ...inv }
      : {
          command: { type: 'ReserveDocumentNumber', data },
          commandId: inv.commandId,
          // Decided afresh on every run (a document holding a usable number reserves nothing).
          step: (rev) => `number/${streamId}@${rev}`,
          actor: SYSTEM_ACTOR,
          requestedBy: inv.actor,
          correlationId: inv.correlationId ?? inv.commandId,
        },
    retryPolicy(deps),
  );
  const number = reservedNumberFor((await loadState(deps.store, numberingDecider, streamId)).state, doc.documentId);
  if (!number) throw new Error(`number reservation for ${doc.documentId} not found after reserving`);
  return { appended: [...released, reserved], number };
}

/** 预留文号 for a USB-key sealing: the content to sign is final from here on. */
const prepareSealing: CommandRoute<Data<typeof C.PrepareSealing>> = {
  definition: C.PrepareSealing,
  async run(deps, inv) {
    const { doc } = await precheck(deps, inv);
    // The keeper's own act, unlike the reservation inside a one-step sealing, which is the ledger's.
    return outcomeOf(...(await reserveNumber(deps, inv, doc, true)).appended);
  },
};

/**
 * 盖章. The seal signs the SM3 digest of the sealed content, and the decision verifies that
 * signature against the seal's registered public key before anything is appended.
 *
 * - server-held key: the passphrase opens it (a wrong one reserves nothing, is refused, logged and
 *   counted toward the lock); the digest is signed inside the append's context, so a retry after a
 *   conflict signs the state it decides on.
 * - USB key: the client signed the digest `sealingContent` showed after PrepareSealing; sealing
 *   without a reserved number is refused, since the client could not have known what to sign.
 *
 * Neither the passphrase nor the client's signature is part of the command's fingerprint (a
 * retried USB signature differs every time: SM2 is randomised), only documentId and sealId.
 */
const sealDocument: CommandRoute<Data<typeof C.SealDocument>> = {
  definition: C.SealDocument,
  fingerprint: ({ commandId, documentId, sealId }) => ({ commandId, documentId, sealId }),
  async run(deps, inv) {
    const { documentId, sealId, passphrase, signature } = inv.data;
    const { doc, seal } = await precheck(deps, inv);

    let sign: (digestHex: string) => string;
    if (seal.keyCustody === 'server') {
      if (passphrase === undefined) {
        throw new Refusal('VALIDATION_FAILED', `印章「${seal.name}」由服务器托管，请输入印章密码盖章，不要提交签名值 (server-held seal: give the passphrase)`, { sealId });
      }
      const { privateKeyHex } = await unlockSealKey(deps, seal, passphrase);
      sign = (digestHex) => sm2Sign(privateKeyHex, Buffer.from(digestHex, 'hex'), seal.publicKey);
    } else {
      if (signature === undefined) {
        throw new Refusal('VALIDATION_FAILED', `印章「${seal.name}」的密钥在 USB Key 中，请用 USB Key 对待盖章内容的摘要签名后提交签名值 (client-held seal: give the signature)`, {
          sealId,
        });
      }
      if (!usableReservation(await reservationsOf(deps.store, deps.config.GONGWEN_TIMEZONE, doc, inv.now), doc)) {
        throw new Refusal('INVALID_STATE', '用 USB Key 盖章前须先预留文号（PrepareSealing），再对 sealingContent 给出的摘要签名 (prepare the sealing first)', {
          documentId,
        });
      }
      sign = () => signature;
    }

    const { appended, number } = await reserveNumber(deps, inv, doc, false);
    const sealed = await handleCommand(
      deps.store,
      {
        streamId: streams.document(documentId),
        decider: documentDecider,
        context: async (state) => ({
          actor: inv.actor,
          now: inv.now,
          number,
          seal: await sealSnapshot(deps, sealId),
          // Anything but a signed-off document is refused before the signature is looked at.
          signature: state.status === 'signedOff' ? sign(contentDigest(sealedContent(state, number))) : '',
        }),
      },
      { command: { type: 'SealDocument', data: { commandId: inv.commandId, documentId, sealId } }, ...inv },
      retryPolicy(deps),
    ).catch(async (error: unknown) => {
      // A refused sealing changes nothing: a revision that raced it voided the sign-off, and the
      // number it reserved goes back (one still usable by this document stays its reservation).
      // Should giving it back fail, the caller still hears the refusal; the number stays visible as
      // this document's reservation until its next sealing releases it.
      if (error instanceof Refusal) {
        const now = await loadDocument(deps, documentId);
        if (now.status !== 'none') {
          await releaseStale(deps, inv, now, await reservationsOf(deps.store, deps.config.GONGWEN_TIMEZONE, now, inv.now)).catch(() => {});
        }
      }
      throw error;
    });
    return outcomeOf(...appended, sealed);
  },
};

export const sealingRoutes: Record<string, CommandRoute> = {
  PrepareSealing: prepareSealing,
  SealDocument: sealDocument,
};
