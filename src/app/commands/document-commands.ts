import type { z } from 'zod';
import * as C from '../../../schemas/commands/document.ts';
import { ReserveDocumentNumber } from '../../../schemas/commands/numbering.ts';
import { documentDecider, type DocumentState } from '../../domain/document/index.ts';
import { deliveryDecider } from '../../domain/delivery/index.ts';
import { numberingDecider, reservedNumberFor, yearOf } from '../../domain/numbering/index.ts';
import { Refusal } from '../../domain/refusal.ts';
import { sealDecider, sealSummary } from '../../domain/seal/index.ts';
import { streams } from '../../domain/streams.ts';
import { SYSTEM_ACTOR } from '../authorization.ts';
import { handleCommand } from '../handle-command.ts';
import { loadState, loadUnits, retryPolicy, unitStatusLookup, type CommandDeps } from './deps.ts';
import { outcomeOf, type CommandOutcome, type CommandRoute, type Invocation } from './route.ts';

type Data<D extends { input: z.ZodType }> = z.infer<D['input']>;

const docStream = (documentId: string) => streams.document(documentId);

function existing(state: DocumentState, documentId: string) {
  if (state.status === 'none') throw new Refusal('NOT_FOUND', `公文「${documentId}」不存在 (no such document)`, { documentId });
  return state;
}

/** The commands whose context is only who and when. */
function simple<D extends typeof C.SignOffDocument | typeof C.FileDocument>(definition: D): CommandRoute<Data<D>> {
  return {
    definition,
    run: (deps, inv) =>
      handleCommand(
        deps.store,
        { streamId: docStream(inv.data.documentId), decider: documentDecider, context: () => ({ actor: inv.actor, now: inv.now }) },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      ),
  };
}

/** Drafting and revising: content rules need the attachment limit, recipients' standing and the issuer's 机关代字. */
function content<D extends typeof C.DraftDocument | typeof C.ReviseDraft>(definition: D): CommandRoute<Data<D>> {
  return {
    definition,
    async run(deps, inv) {
      const data = inv.data as { mainRecipients?: string[]; ccRecipients?: string[] };
      return handleCommand(
        deps.store,
        {
          streamId: docStream(inv.data.documentId),
          decider: documentDecider,
          async context(state) {
            const issuerUnitId = state.status === 'none' ? inv.actor.unitId : state.issuerUnitId;
            // A revision may change one recipient list; the rules look at both, so load the current ones too.
            const current = state.status === 'none' ? [] : [...state.content.mainRecipients, ...state.content.ccRecipients];
            const units = await loadUnits(deps.store, [issuerUnitId, ...current, ...(data.mainRecipients ?? []), ...(data.ccRecipients ?? [])]);
            const issuer = units.get(issuerUnitId)!;
            return {
              actor: inv.actor,
              now: inv.now,
              attachmentLimitBytes: deps.config.GONGWEN_ATTACHMENT_LIMIT_BYTES,
              unitStatus: unitStatusLookup(units),
              issuerPrefixes: issuer.status === 'none' ? [] : issuer.docNumberPrefixes,
            };
          },
        },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      );
    },
  };
}

const sendDocument: CommandRoute<Data<typeof C.SendDocument>> = {
  definition: C.SendDocument,
  run: (deps, inv) =>
    handleCommand(
      deps.store,
      {
        streamId: docStream(inv.data.documentId),
        decider: documentDecider,
        async context(state) {
          const recipients = state.status === 'none' ? [] : [...state.content.mainRecipients, ...state.content.ccRecipients];
          return { actor: inv.actor, now: inv.now, unitStatus: unitStatusLookup(await loadUnits(deps.store, recipients)) };
        },
      },
      { command: { type: 'SendDocument', data: inv.data }, ...inv },
      retryPolicy(deps),
    ),
};

async function signedRecipients(deps: CommandDeps, documentId: string, unitIds: readonly string[]): Promise<string[]> {
  const states = await Promise.all(unitIds.map((u) => loadState(deps.store, deliveryDecider, streams.delivery(documentId, u))));
  return unitIds.filter((_, i) => {
    const s = states[i]!.state;
    return s.status === 'received' || s.status === 'filed';
  });
}

/**
 * 撤回 across streams without a multi-stream transaction: every recipient's delivery stream is the
 * place where a recall and that recipient's 签收 contend. The recall first withdraws each delivery
 * (refused there if the recipient has signed); if one has signed meanwhile, the deliveries this
 * recall withdrew are reinstated and the recall is refused; only when all are withdrawn is
 * DocumentRecalled appended. Every step has a deterministic commandId, so repeating an interrupted
 * recall completes it.
 */
const recallDocument: CommandRoute<Data<typeof C.RecallDocument>> = {
  definition: C.RecallDocument,
  async run(deps, inv) {
    const { documentId, reason } = inv.data;
    const command = { type: 'RecallDocument', data: inv.data } as const;
    const doc = existing((await loadState(deps.store, documentDecider, docStream(documentId))).state, documentId);
    const recipients = [...doc.content.mainRecipients, ...doc.content.ccRecipients];
    documentDecider.decide(command, doc, { actor: inv.actor, now: inv.now, signedRecipients: await signedRecipients(deps, documentId, recipients) });

    const withdrawn: string[] = [];
    const results: CommandOutcome[] = [];
    for (const unitId of recipients) {
      try {
        results.push(await deliveryStep(deps, inv, 'WithdrawDelivery', unitId, { documentId, unitId, recallCommandId: inv.commandId, reason }));
        withdrawn.push(unitId);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        for (const u of withdrawn) {
          await deliveryStep(deps, inv, 'ReinstateDelivery', u, { documentId, unitId: u, recallCommandId: inv.commandId });
        }
        const signed = await signedRecipients(deps, documentId, recipients);
        documentDecider.decide(command, doc, { actor: inv.actor, now: inv.now, signedRecipients: signed });
        throw error;
      }
    }
    const recalled = await handleCommand(
      deps.store,
      {
        streamId: docStream(documentId),
        decider: documentDecider,
        context: async () => ({ actor: inv.actor, now: inv.now, signedRecipients: await signedRecipients(deps, documentId, recipients) }),
      },
      { command, ...inv },
      retryPolicy(deps),
    );
    return outcomeOf(...results, recalled);
  },
};

function deliveryStep(deps: CommandDeps, inv: Invocation<unknown>, type: 'WithdrawDelivery' | 'ReinstateDelivery', unitId: string, data: Record<string, string>) {
  return handleCommand(
    deps.store,
    { streamId: streams.delivery(data.documentId!, unitId), decider: deliveryDecider, context: () => ({ actor: SYSTEM_ACTOR, now: inv.now }) },
    {
      command: { type, data } as never,
      commandId: inv.commandId,
      step: `${type}/${unitId}`,
      actor: SYSTEM_ACTOR,
      requestedBy: inv.actor,
      correlationId: inv.correlationId ?? inv.commandId,
    },
    retryPolicy(deps),
  );
}

export const documentRoutes: Record<string, CommandRoute> = {
  DraftDocument: content(C.DraftDocument),
  ReviseDraft: content(C.ReviseDraft),
  SignOffDocument: simple(C.SignOffDocument),
  SendDocument: sendDocument,
  RecallDocument: recallDocument,
  FileDocument: simple(C.FileDocument),
};
