import type { z } from 'zod';
import * as C from '../../../schemas/commands/document.ts';
import { ReserveDocumentNumber } from '../../../schemas/commands/numbering.ts';
import { canonicalSealedContent, checkSealable, contentDigest, documentDecider, sealedContent, type DocumentRecord, type SealSnapshot } from '../../domain/document/index.ts';
import type { EventStore } from '../../eventstore/port.ts';
import { numberingDecider, reservedNumberFor, yearOf } from '../../domain/numbering/index.ts';
import { Refusal } from '../../domain/refusal.ts';
import { sealDecider, sealSummary } from '../../domain/seal/index.ts';
import { streams } from '../../domain/streams.ts';
import { sm2Sign } from '../../integrity/sm2.ts';
import { SYSTEM_ACTOR } from '../authorization.ts';
import { handleCommand } from '../handle-command.ts';
import { loadState, retryPolicy, type CommandDeps } from './deps.ts';
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

/** Where the document's number comes from: its own year once numbered, else the current year's stream of its prefix. */
function numberingOf(doc: DocumentRecord, now: string, timeZone: string) {
  const prefix = doc.content.docNumberPrefix;
  const year = doc.number?.year ?? yearOf(now, timeZone);
  return { prefix, year, streamId: streams.numbering(doc.issuerUnitId, prefix, year) };
}

/** The number this document holds already (sealed before a crash, or reserved by PrepareSealing). */
async function heldNumber(store: EventStore, timeZone: string, doc: DocumentRecord, now: string) {
  if (doc.number) return doc.number;
  const numbering = (await loadState(store, numberingDecider, numberingOf(doc, now, timeZone).streamId)).state;
  return reservedNumberFor(numbering, doc.documentId);
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
  const number = await heldNumber(store, timeZone, doc, now);
  if (!number) throw new Refusal('INVALID_STATE', '尚未预留文号：请先执行 PrepareSealing (no number reserved yet)', { documentId });
  const content = sealedContent(doc, number);
  return { doc, number, canonicalContent: canonicalSealedContent(content), contentDigest: contentDigest(content) };
}

/**
 * Numbers must be gap-free, and the numbering stream and the document stream cannot be written in
 * one transaction on every store, so the number is reserved first on
 * `numbering-<unit>.<prefix>.<year>`, where optimistic concurrency makes concurrent sealings take
 * 1, 2, 3…; a document that already holds a number there gets the same one back, so a retry after a
 * crash leaves no gap, and a document that was numbered before keeps its number.
 */
async function reserveNumber(deps: CommandDeps, inv: Invocation<{ documentId: string }>, doc: DocumentRecord, actor = SYSTEM_ACTOR) {
  const { prefix, year, streamId: numberingStream } = numberingOf(doc, inv.now, deps.config.GONGWEN_TIMEZONE);
  const reserved = await handleCommand(
    deps.store,
    { streamId: numberingStream, decider: numberingDecider, context: () => ({ actor, now: inv.now }) },
    {
      command: {
        type: 'ReserveDocumentNumber',
        data: ReserveDocumentNumber.input.parse({ commandId: inv.commandId, documentId: doc.documentId, unitId: doc.issuerUnitId, prefix, year }),
      },
      commandId: inv.commandId,
      step: 'number',
      actor,
      correlationId: inv.correlationId ?? inv.commandId,
    },
    retryPolicy(deps),
  );
  const number = doc.number ?? reservedNumberFor((await loadState(deps.store, numberingDecider, numberingStream)).state, doc.documentId);
  if (!number) throw new Error(`number reservation for ${doc.documentId} not found after reserving`);
  return { reserved, number };
}

/** 预留文号 for a USB-key sealing: the content to sign is final from here on. */
const prepareSealing: CommandRoute<Data<typeof C.PrepareSealing>> = {
  definition: C.PrepareSealing,
  async run(deps, inv) {
    const { doc } = await precheck(deps, inv);
    // The keeper's own act, unlike the reservation inside a one-step sealing, which is the ledger's.
    const { reserved } = await reserveNumber(deps, inv, doc, inv.actor);
    return reserved;
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
      if (!(await heldNumber(deps.store, deps.config.GONGWEN_TIMEZONE, doc, inv.now))) {
        throw new Refusal('INVALID_STATE', '用 USB Key 盖章前须先预留文号（PrepareSealing），再对 sealingContent 给出的摘要签名 (prepare the sealing first)', {
          documentId,
        });
      }
      sign = () => signature;
    }

    const { reserved, number } = await reserveNumber(deps, inv, doc);
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
    );
    return outcomeOf(reserved, sealed);
  },
};

export const sealingRoutes: Record<string, CommandRoute> = {
  PrepareSealing: prepareSealing,
  SealDocument: sealDocument,
};
