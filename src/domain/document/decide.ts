import { canonicalJson } from '../../integrity/canonical-json.ts';
import type { DocumentCommand, DocumentCommandOf } from '../../../schemas/commands/document.ts';
import type { DocumentEvent } from '../../../schemas/events/document.ts';
import type { DecisionContext } from '../decider.ts';
import { refuse } from '../refusal.ts';
import { checkAttachmentSize, checkClassification, checkMeeting, checkDocNumberPrefix, checkRecipients, checkRecipientsStillActive } from './content-rules.ts';
import { normaliseSm2Signature, OID, sm2Verify } from '../../integrity/sm2.ts';
import { sealUsability } from '../seal/usability.ts';
import { required, type ContentRulesContext, type DocumentContext, type RecallContext, type SealContext, type SealSnapshot, type SendContext } from './context.ts';
import { formatDocNumber } from './doc-number.ts';
import { CONTENT_DIGEST_ALGORITHM, contentDigest, sealedContent } from './sealed-content.ts';
import type { DocumentContent, DocumentRecord, DocumentState, DocumentStatus, ReservedNumber } from './state.ts';

type Data<T extends DocumentCommand['type']> = DocumentCommandOf<T>['data'];
type Event<T extends DocumentEvent['type']> = Extract<DocumentEvent, { type: T }>;

/** Dispatch for the Decider; each command's own function below takes its exact context type. */
export function decideDocument(command: DocumentCommand, state: DocumentState, context: DocumentContext): DocumentEvent[] {
  const name = command.type;
  switch (command.type) {
    case 'DraftDocument':
      return decideDraft(command.data, state, {
        ...context,
        attachmentLimitBytes: required(context, 'attachmentLimitBytes', name),
        unitStatus: required(context, 'unitStatus', name),
        issuerPrefixes: required(context, 'issuerPrefixes', name),
      });
    case 'ReviseDraft':
      return decideRevise(command.data, state, {
        ...context,
        attachmentLimitBytes: required(context, 'attachmentLimitBytes', name),
        unitStatus: required(context, 'unitStatus', name),
        issuerPrefixes: required(context, 'issuerPrefixes', name),
      });
    case 'SignOffDocument':
      return decideSignOff(command.data, state, context);
    case 'SealDocument':
      // An absent seal is not a handler bug but "no such seal": SEAL_NOT_USABLE.
      return decideSeal(command.data, state, {
        ...context,
        number: required(context, 'number', name),
        seal: context.seal,
        signature: required(context, 'signature', name),
      });
    case 'SendDocument':
      return decideSend(command.data, state, { ...context, unitStatus: required(context, 'unitStatus', name) });
    case 'RecallDocument':
      return decideRecall(command.data, state, { ...context, signedRecipients: required(context, 'signedRecipients', name) });
    case 'FileDocument':
      return decideFile(command.data, state, context);
    default: {
      const unknown: never = command;
      throw new Error(`unknown document command ${JSON.stringify(unknown)}`);
    }
  }
}

// ---- 拟稿 ----

export function decideDraft(data: Data<'DraftDocument'>, state: DocumentState, context: ContentRulesContext): Event<'DocumentDrafted'>[] {
  if (state.status !== 'none') {
    refuse('ALREADY_EXISTS', `公文 ${data.documentId} 已存在，不能重复拟稿 (document already exists)`, { documentId: data.documentId });
  }
  const issuerUnitId = context.actor.unitId;
  const { classification } = data;
  checkClassification(classification);
  checkDocNumberPrefix(data.docNumberPrefix, context.issuerPrefixes);
  checkRecipients(data.mainRecipients, data.ccRecipients, issuerUnitId, context.unitStatus);
  checkAttachmentSize(data.attachments, context.attachmentLimitBytes);
  checkMeeting(data.docType, data.meetingAt);
  return [
    {
      type: 'DocumentDrafted',
      data: withoutUndefined({
        documentId: data.documentId,
        issuerUnitId,
        title: data.title,
        docType: data.docType,
        urgency: data.urgency,
        classification,
        body: data.body,
        attachments: data.attachments,
        mainRecipients: data.mainRecipients,
        ccRecipients: data.ccRecipients,
        docNumberPrefix: data.docNumberPrefix,
        signerNote: data.signerNote,
        remarks: data.remarks,
        meetingAt: data.meetingAt,
        draftedBy: context.actor.userId,
        draftedAt: context.now,
      }),
    },
  ];
}

// ---- 修改稿件 ----

const contentKeys = [
  'title',
  'docType',
  'urgency',
  'classification',
  'body',
  'attachments',
  'mainRecipients',
  'ccRecipients',
  'docNumberPrefix',
  'signerNote',
  'remarks',
  'meetingAt',
] as const satisfies readonly (keyof DocumentContent & keyof Data<'ReviseDraft'>)[];

type Changes = Event<'DraftRevised'>['data']['changes'];

/**
 * Records only what differs from the current draft; a revision that changes nothing appends nothing
 * (and so does not void a sign-off). The rules apply to what changed: a draft whose recipient was
 * deactivated after drafting may still have its title corrected (sending will catch the recipient).
 */
export function decideRevise(data: Data<'ReviseDraft'>, state: DocumentState, context: ContentRulesContext): Event<'DraftRevised'>[] {
  const doc = existing(state, data.documentId);
  issuerOnly(doc, context, '修改稿件');
  notFiled(doc, '修改');
  if (doc.status !== 'drafted' && doc.status !== 'signedOff') {
    refuse('INVALID_STATE', '公文已盖章，内容不可修改 (sealed: content can no longer change)', { status: doc.status });
  }

  const proposal: Data<'ReviseDraft'> = { ...data };
  if (data.addAttachments || data.removeAttachments) {
    proposal.attachments = revisedAttachments(doc.content.attachments, data.removeAttachments ?? [], data.addAttachments ?? []);
  }
  const changes: Record<string, unknown> = {};
  for (const key of contentKeys) {
    const proposed = proposal[key];
    if (proposed === undefined) continue;
    const current = doc.content[key];
    if (proposed === null ? current === undefined : sameValue(proposed, current)) continue;
    changes[key] = proposed;
  }
  if (Object.keys(changes).length === 0) return [];

  const next = { ...doc.content, ...changes } as Record<string, unknown> & DocumentContent;
  if ('classification' in changes) checkClassification(String(changes.classification));
  if ('docNumberPrefix' in changes) checkDocNumberPrefix(next.docNumberPrefix, context.issuerPrefixes);
  if ('mainRecipients' in changes || 'ccRecipients' in changes) {
    checkRecipients(next.mainRecipients, next.ccRecipients, doc.issuerUnitId, context.unitStatus);
  }
  if ('attachments' in changes) checkAttachmentSize(next.attachments, context.attachmentLimitBytes);
  if ('docType' in changes || 'meetingAt' in changes) checkMeeting(next.docType, changes.meetingAt === null ? undefined : next.meetingAt);

  return [
    {
      type: 'DraftRevised',
      data: {
        documentId: doc.documentId,
        issuerUnitId: doc.issuerUnitId,
        changes: changes as Changes,
        signOffVoided: doc.status === 'signedOff',
        revisedBy: context.actor.userId,
        revisedAt: context.now,
      },
    },
  ];
}

type Attachment = DocumentContent['attachments'][number];

/**
 * The draft's attachments after removing the named ones (by digest or by position in the current
 * list) and appending the added ones; the others keep their order. Naming one the draft does not
 * have is refused, so a clerk working from a stale list learns it instead of removing nothing.
 */
export function revisedAttachments(
  current: readonly Attachment[],
  remove: NonNullable<Data<'ReviseDraft'>['removeAttachments']>,
  add: readonly Attachment[],
): Attachment[] {
  const dropped = new Set<number>();
  for (const ref of remove) {
    const at = ref.sm3 !== undefined ? current.findIndex((a, i) => a.sm3 === ref.sm3 && !dropped.has(i)) : (ref.index ?? -1) < current.length ? ref.index! : -1;
    if (at < 0) {
      const which = ref.sm3 !== undefined ? `摘要为 ${ref.sm3} 的附件` : `第 ${ref.index} 号附件（序号从 0 起，现有 ${current.length} 个）`;
      refuse('NOT_FOUND', `稿件中没有${which}，无法删除；请刷新后重试 (no such attachment in the draft)`, { field: 'removeAttachments', ref, attachments: current.length });
    }
    dropped.add(at);
  }
  return [...current.filter((_, i) => !dropped.has(i)), ...add];
}

// ---- 签发 ----

export function decideSignOff(data: Data<'SignOffDocument'>, state: DocumentState, context: DecisionContext): Event<'DocumentSignedOff'>[] {
  const doc = existing(state, data.documentId);
  issuerOnly(doc, context, '签发');
  notFiled(doc, '签发');
  if (doc.status === 'signedOff') {
    refuse('INVALID_STATE', '公文已签发，不能重复签发；如稿件需要修改，修改后须重新签发 (already signed off)', { status: doc.status });
  }
  if (doc.status !== 'drafted') refuse('INVALID_STATE', `公文${statusText[doc.status]}，不能再签发 (already past sign-off)`, { status: doc.status });
  return [
    {
      type: 'DocumentSignedOff',
      data: withoutUndefined({
        documentId: doc.documentId,
        issuerUnitId: doc.issuerUnitId,
        opinion: data.opinion,
        signedOffBy: context.actor.userId,
        signedOffAt: context.now,
      }),
    },
  ];
}

// ---- 编号 + 盖章 ----

/**
 * Everything about a sealing that does not depend on the number or the signature: who, which
 * document, which seal. PrepareSealing and the sealing route run it before reserving a number, so a
 * sealing that would be refused reserves nothing.
 */
export function checkSealable(documentId: string, sealId: string, state: DocumentState, context: DecisionContext & { seal: SealSnapshot | undefined }): DocumentRecord {
  const doc = existing(state, documentId);
  issuerOnly(doc, context, '盖章');
  notFiled(doc, '盖章');
  if (doc.status === 'drafted') refuse('INVALID_STATE', '公文须先签发，才能盖章 (sign-off required before sealing)', { status: doc.status });
  if (doc.status !== 'signedOff') refuse('INVALID_STATE', `公文${statusText[doc.status]}，不能重复盖章 (already sealed)`, { status: doc.status });
  const usability = sealUsability(context.seal?.sealId === sealId ? context.seal : undefined, { unitId: doc.issuerUnitId, at: context.now });
  if (!usability.usable) refuse('SEAL_NOT_USABLE', `印章 ${sealId} 不能使用：${usability.reason}`, { sealId, reason: usability.cause });
  return doc;
}

export function decideSeal(
  data: Data<'SealDocument'>,
  state: DocumentState,
  context: SealContext,
): (Event<'DocumentNumbered'> | Event<'DocumentSealed'>)[] {
  const doc = checkSealable(data.documentId, data.sealId, state, context);
  const seal = context.seal!;

  const number = context.number;
  if (doc.number) {
    // Numbered earlier: the number is part of what was recorded and cannot change.
    if (!sameValue(pickNumber(number), pickNumber(doc.number))) {
      refuse('INVALID_STATE', `公文已编号为 ${doc.number.docNumber}，不能再改用 ${number.docNumber} (document already numbered)`, {
        recorded: doc.number,
        offered: pickNumber(number),
      });
    }
  } else {
    if (number.signedOffAt !== undefined && number.signedOffAt !== doc.signOff?.signedOffAt) {
      refuse('INVALID_STATE', `文号 ${number.docNumber} 是为之前的签发预留的，稿件已修改并重新签发，请重新盖章 (number reserved under a voided sign-off)`, {
        offered: pickNumber(number),
      });
    }
    if (number.prefix !== doc.content.docNumberPrefix) {
      refuse('INVALID_STATE', `文号 ${number.docNumber} 的机关代字与稿件的机关代字“${doc.content.docNumberPrefix}”不一致 (number from another prefix)`, {
        offered: pickNumber(number),
      });
    }
    if (number.docNumber !== formatDocNumber(number.prefix, number.year, number.number)) {
      refuse('INVALID_STATE', `文号“${number.docNumber}”与其机关代字、年份、序号不符 (malformed document number)`, { offered: pickNumber(number) });
    }
  }

  const digest = contentDigest(sealedContent(doc, number));
  const signature = checkSealSignature(seal, digest, context.signature);
  const key = { documentId: doc.documentId, issuerUnitId: doc.issuerUnitId };
  const numbered: Event<'DocumentNumbered'>[] = doc.number ? [] : [{ type: 'DocumentNumbered', data: { ...key, ...pickNumber(number) } }];
  return [
    ...numbered,
    {
      type: 'DocumentSealed',
      data: {
        ...key,
        sealId: data.sealId,
        docNumber: number.docNumber,
        contentDigest: digest,
        digestAlgorithm: CONTENT_DIGEST_ALGORITHM,
        digestAlgorithmOid: OID.SM3,
        signature,
        signatureAlgorithm: OID.SM3_WITH_SM2,
        sealPublicKey: seal.publicKey,
        sealRecordDigest: seal.sealRecordDigest,
        keyCustody: seal.keyCustody,
        sealedBy: context.actor.userId,
        sealedAt: context.now,
      },
    },
  ];
}

/**
 * The seal's signature must verify over the 32 bytes of this very digest with the seal's registered
 * public key: a USB key that signed another document's digest, or an older draft's, is refused here.
 * Returns the signature in canonical DER.
 */
function checkSealSignature(seal: SealSnapshot, digest: string, signature: string): string {
  const der = normaliseSm2Signature(signature);
  if (der === undefined) {
    refuse('SIGNATURE_INVALID', '签名值格式有误：须为 SM2 签名的 DER 编码或 64 字节 r‖s 的十六进制 (malformed signature)', { sealId: seal.sealId });
  }
  if (!sm2Verify(seal.publicKey, Buffer.from(digest, 'hex'), der!)) {
    refuse('SIGNATURE_INVALID', `签名验证未通过：该签名不是用印章「${seal.name}」的密钥对本公文待盖章内容的摘要所作的签名，请重新获取待签内容后再签名 (signature does not verify over this document's digest)`, {
      sealId: seal.sealId,
      contentDigest: digest,
    });
  }
  return der!;
}

const pickNumber = (n: ReservedNumber): ReservedNumber => ({ prefix: n.prefix, year: n.year, number: n.number, docNumber: n.docNumber });

// ---- 核发 ----

export function decideSend(data: Data<'SendDocument'>, state: DocumentState, context: SendContext): Event<'DocumentSent'>[] {
  const doc = existing(state, data.documentId);
  issuerOnly(doc, context, '核发');
  notFiled(doc, '核发');
  if (doc.status === 'drafted') refuse('INVALID_STATE', '公文须先签发、盖章，才能核发 (sign-off and seal required before sending)', { status: doc.status });
  if (doc.status === 'signedOff') refuse('INVALID_STATE', '公文须先盖章，才能核发 (seal required before sending)', { status: doc.status });
  if (doc.status === 'sent') refuse('INVALID_STATE', '公文已核发，不能重复核发 (already sent)', { status: doc.status });
  if (doc.status === 'recalled') {
    refuse('INVALID_STATE', '公文已撤回，不能再次核发；如需重发，请重新拟稿 (recalled documents are not sent again)', { status: doc.status });
  }
  const { content, number, sealing } = sealedParts(doc);
  const recipients = [
    ...content.mainRecipients.map((unitId) => ({ unitId, kind: 'main' as const })),
    ...content.ccRecipients.map((unitId) => ({ unitId, kind: 'cc' as const })),
  ];
  checkRecipientsStillActive(
    recipients.map((r) => r.unitId),
    context.unitStatus,
  );
  return [
    {
      type: 'DocumentSent',
      data: {
        documentId: doc.documentId,
        issuerUnitId: doc.issuerUnitId,
        recipients,
        title: content.title,
        docNumber: number.docNumber,
        docType: content.docType,
        urgency: content.urgency,
        ...(content.meetingAt ? { meetingAt: content.meetingAt } : {}),
        contentDigest: sealing.contentDigest,
        sentBy: context.actor.userId,
        sentAt: context.now,
      },
    },
  ];
}

// ---- 撤回 ----

export function decideRecall(data: Data<'RecallDocument'>, state: DocumentState, context: RecallContext): Event<'DocumentRecalled'>[] {
  const doc = existing(state, data.documentId);
  issuerOnly(doc, context, '撤回');
  notFiled(doc, '撤回');
  if (doc.status === 'recalled') refuse('INVALID_STATE', '公文已撤回，不能重复撤回 (already recalled)', { status: doc.status });
  if (doc.status !== 'sent') refuse('INVALID_STATE', `公文${statusText[doc.status]}，尚未核发，不能撤回：须先核发 (not sent yet)`, { status: doc.status });
  if (context.signedRecipients.length > 0) {
    refuse('INVALID_STATE', `已有单位签收，不能撤回：${context.signedRecipients.join('、')} 已签收 (already received)`, {
      signedRecipients: [...context.signedRecipients],
    });
  }
  return [
    {
      type: 'DocumentRecalled',
      data: {
        documentId: doc.documentId,
        issuerUnitId: doc.issuerUnitId,
        reason: data.reason,
        recipients: (doc.sending?.recipients ?? []).map((r) => r.unitId),
        recalledBy: context.actor.userId,
        recalledAt: context.now,
      },
    },
  ];
}

// ---- 归档 ----

export function decideFile(data: Data<'FileDocument'>, state: DocumentState, context: DecisionContext): Event<'DocumentFiled'>[] {
  const doc = existing(state, data.documentId);
  issuerOnly(doc, context, '归档');
  notFiled(doc, '归档');
  if (doc.status !== 'sent' && doc.status !== 'recalled') {
    refuse('INVALID_STATE', `公文${statusText[doc.status]}，须先核发，才能归档 (send before filing)`, { status: doc.status });
  }
  const { content, number, sealing, signOff } = sealedParts(doc);
  return [
    {
      type: 'DocumentFiled',
      data: withoutUndefined({
        documentId: doc.documentId,
        issuerUnitId: doc.issuerUnitId,
        retention: data.retention,
        fondsCode: data.fondsCode,
        organisationCode: data.organisationCode,
        pages: data.pages,
        remarks: data.remarks,
        title: content.title,
        docNumber: number.docNumber,
        docType: content.docType,
        classification: content.classification,
        year: number.year,
        documentDate: signOff.signedOffAt,
        contentDigest: sealing.contentDigest,
        recalled: doc.status === 'recalled',
        filedBy: context.actor.userId,
        filedAt: context.now,
      }),
    },
  ];
}

// ---- shared checks ----

const statusText: Record<DocumentStatus, string> = {
  drafted: '尚在拟稿中（未签发）',
  signedOff: '已签发（未盖章）',
  sealed: '已盖章（未核发）',
  sent: '已核发',
  recalled: '已撤回',
  filed: '已归档',
};

function existing(state: DocumentState, documentId: string): DocumentRecord {
  if (state.status === 'none') refuse('NOT_FOUND', `公文「${documentId}」不存在 (no such document)`, { documentId });
  return state as DocumentRecord;
}

/**
 * Unit rule: only the issuing unit acts on its own document (the role rule ran before decide). A
 * recipient, who may read the document, is told it may not act; any other unit is told exactly
 * what it would be told of a document that does not exist, so a refusal never reveals a document
 * (nor its issuer) to a unit that may not read it.
 */
function issuerOnly(doc: DocumentRecord, context: DecisionContext, action: string): void {
  if (context.actor.unitId === doc.issuerUnitId) return;
  if (doc.sending?.recipients.some((r) => r.unitId === context.actor.unitId)) {
    refuse('NOT_AUTHORISED', `只有发文单位才能${action}此公文 (only the issuing unit may act on its document)`, { documentId: doc.documentId });
  }
  existing({ status: 'none' }, doc.documentId);
}

function notFiled(doc: DocumentRecord, action: string): void {
  if (doc.status === 'filed') refuse('INVALID_STATE', `公文已归档，不能再${action}（归档后不再办理任何事项）(filed is final)`, { status: doc.status });
}

/** Sent, recalled and filed documents were signed off, numbered and sealed; a stream without them is corrupt. */
function sealedParts(doc: DocumentRecord) {
  const { content, number, sealing, signOff } = doc;
  if (!number || !sealing || !signOff) throw new Error(`document ${doc.documentId} is ${doc.status} but lacks its number, seal or sign-off`);
  return { content, number, sealing, signOff };
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Optional fields are left out rather than written as undefined, so events have one JSON form. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
