import { z } from 'zod';
import { Actor, Attachment, DocNumberPrefix, DocType, Id, Retention, Sm3Hex, Text, Timestamp, UNSTORABLE_TEXT, UNSTORABLE_TEXT_MESSAGE, Urgency } from '../common.ts';
import { defineEvent, type EventOf } from '../define.ts';
import { KeyCustody, Sm2PublicKeyHex } from './seal.ts';

/**
 * Events of `document-<documentId>`, the issuing unit's record of one document from 拟稿 to 归档.
 * Every payload repeats documentId and issuerUnitId, and names who acted and when (the decider and
 * the projections see payloads only, not envelopes), so no projection needs a join. The events a
 * projection builds a whole row from (DocumentSent for the inboxes, DocumentFiled for the catalog)
 * carry the document's identifying fields as they were at that moment.
 */

const UserId = Actor.shape.userId;

// ---- field schemas shared with the commands (schemas/commands/document.ts) ----

export const DocumentTitle = Text(500);

/**
 * 正文. Not trimmed: a body starts with the two full-width spaces (　　) of a Chinese paragraph, and
 * JavaScript's trim() would take them away. Tab, line feed and carriage return are allowed; other
 * control characters are not (PostgreSQL's jsonb rejects NUL).
 */
export const DOCUMENT_BODY_MAX = 200_000;
export const DocumentBody = z
  .string()
  .max(DOCUMENT_BODY_MAX, `正文不能超过 ${DOCUMENT_BODY_MAX} 个字符`)
  .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, '正文含有不可见的控制字符')
  .refine((s) => !UNSTORABLE_TEXT.test(s), `正文${UNSTORABLE_TEXT_MESSAGE}`)
  .refine((s) => s.trim().length > 0, '正文不能为空');

export const Attachments = z.array(Attachment).max(100, '附件不能超过 100 个');
/** Recipients in the order the document lists them (主送 order is part of the layout). */
export const RecipientList = z.array(Id).max(500, '收文单位不能超过 500 个');
/** 签发人/拟稿说明 shown to the leader who signs off. */
export const SignerNote = Text(500);
/** 附注 (GB/T 9704 7.3.6). */
export const Remarks = Text(1000);
export const Opinion = Text(2000);
export const RecallReason = Text(500);
export const DocYear = z.number().int().min(1900, '年度不能早于 1900').max(2999, '年度不能晚于 2999');
export const SerialNumber = z.number().int().min(1, '序号从 1 开始').max(999_999_999);
/** 发文字号 exactly as formatDocNumber writes it: 阜政办〔2025〕12号. */
export const DocNumber = z
  .string()
  .regex(/^[\p{Script=Han}A-Za-z0-9]{1,16}〔[0-9]{4}〕[1-9][0-9]{0,8}号$/u, '发文字号须形如 阜政办〔2025〕12号（年份用六角括号，序号不编虚位，不加“第”）');
/** 全宗号 (e.g. 0194 or Z109). */
export const FondsCode = z.string().regex(/^[0-9A-Za-z]{1,16}$/, '全宗号须为 1 至 16 位数字或字母');
/** 机构（问题）代码 of the 档号: BGS, or the department's name in the DA/T 13-2022 form. */
export const ArchiveOrganisationCode = z
  .string()
  .regex(/^[\p{Script=Han}A-Za-z0-9]{1,16}$/u, '机构代码须为 1 至 16 个汉字、字母或数字');
export const PageCount = z.number().int().min(1, '页数至少为 1').max(100_000);

/**
 * Only non-classified documents ever enter the ledger: the decider refuses the classified marks
 * with CLASSIFIED_REFUSED, and the event schema repeats the rule so that nothing classified can be
 * appended (or read back) whatever code wrote it.
 */
export const RecordedClassification = z.enum(['非密'], { error: '本系统只记录非涉密公文，密级只能为 非密' });

/**
 * 会议时间 of a 会议通知: when the meeting it calls begins. Only a 通知 carries one (the decider's
 * rule); the supervision reckons the notice's deadlines from it (a meeting notice is due before
 * its meeting).
 */
export const MeetingAt = z.iso.datetime({ offset: true, message: '会议时间须为 ISO 8601 格式并带时区，如 2026-12-08T09:00:00+08:00 (meetingAt)' });

/** The content of a draft: everything a revision may change. */
export const documentContentShape = {
  title: DocumentTitle,
  docType: DocType,
  urgency: Urgency,
  classification: RecordedClassification,
  body: DocumentBody,
  attachments: Attachments,
  mainRecipients: RecipientList,
  ccRecipients: RecipientList,
  docNumberPrefix: DocNumberPrefix,
  signerNote: SignerNote.optional(),
  remarks: Remarks.optional(),
  meetingAt: MeetingAt.optional(),
} as const;

const Key = { documentId: Id, issuerUnitId: Id } as const;

// ---- events ----

export const DocumentDrafted = defineEvent(
  'DocumentDrafted',
  1,
  z.strictObject({ ...Key, ...documentContentShape, draftedBy: UserId, draftedAt: Timestamp }),
);

/**
 * Only the fields that changed. A field set to null was cleared (signerNote, remarks). When the
 * draft had been signed off, the revision voids that sign-off (`signOffVoided`): a leader is never
 * held to text they did not see, and the document needs a new sign-off.
 */
export const DraftRevised = defineEvent(
  'DraftRevised',
  1,
  z.strictObject({
    ...Key,
    changes: z
      .strictObject({
        title: DocumentTitle.optional(),
        docType: DocType.optional(),
        urgency: Urgency.optional(),
        classification: RecordedClassification.optional(),
        body: DocumentBody.optional(),
        attachments: Attachments.optional(),
        mainRecipients: RecipientList.optional(),
        ccRecipients: RecipientList.optional(),
        docNumberPrefix: DocNumberPrefix.optional(),
        signerNote: SignerNote.nullable().optional(),
        remarks: Remarks.nullable().optional(),
        meetingAt: MeetingAt.nullable().optional(),
      })
      .refine((c) => Object.values(c).some((v) => v !== undefined), '修改记录中没有任何改动'),
    signOffVoided: z.boolean(),
    revisedBy: UserId,
    revisedAt: Timestamp,
  }),
);

/** 签发. `signedOffAt` is the 成文日期 of a document signed by the unit's leader. */
export const DocumentSignedOff = defineEvent(
  'DocumentSignedOff',
  1,
  z.strictObject({ ...Key, opinion: Opinion.optional(), signedOffBy: UserId, signedOffAt: Timestamp }),
);

/** The 发文字号 taken from `numbering-<unitId>.<prefix>.<year>`, recorded when the document is sealed. */
export const DocumentNumbered = defineEvent(
  'DocumentNumbered',
  1,
  z.strictObject({ ...Key, prefix: DocNumberPrefix, year: DocYear, number: SerialNumber, docNumber: DocNumber }),
);

/**
 * 盖章. `contentDigest` is SM3 over the RFC 8785 canonical JSON of the sealed content (see
 * src/domain/document/sealed-content.ts): whoever holds the events can recompute it and see that
 * the document sent and filed is the one that was sealed. `signature` is the seal's SM2 signature
 * (SM3withSM2, signer ID 1234567812345678, DER) over the 32 bytes of that digest, made with the
 * seal's private key — on the server under the keeper's passphrase or on the keeper's USB key — and
 * checked against `sealPublicKey` before the event was appended. Algorithms by name and by OID:
 * SM3 1.2.156.10197.1.401, SM3withSM2 1.2.156.10197.1.501 (GM/T 0006). `sealRecordDigest` names the
 * GB/T 38540 seal record (SealIssued.sealRecord) the signature was made under.
 *
 * v2 added the signature; v1 events (a digest only) never reached a ledger in service.
 */
export const SignatureAlgorithmOid = z.literal('1.2.156.10197.1.501', { error: '签名算法须为 SM3withSM2 (1.2.156.10197.1.501)' });
export const Sm2SignatureDer = z.string().regex(/^30[0-9a-f]{10,150}$/, 'SM2 签名须为 DER 编码的小写十六进制');

export const DocumentSealed = defineEvent(
  'DocumentSealed',
  2,
  z.strictObject({
    ...Key,
    sealId: Id,
    docNumber: DocNumber,
    contentDigest: Sm3Hex,
    digestAlgorithm: z.literal('SM3'),
    digestAlgorithmOid: z.literal('1.2.156.10197.1.401'),
    signature: Sm2SignatureDer,
    signatureAlgorithm: SignatureAlgorithmOid,
    sealPublicKey: Sm2PublicKeyHex,
    sealRecordDigest: Sm3Hex,
    keyCustody: KeyCustody,
    sealedBy: UserId,
    sealedAt: Timestamp,
  }),
);

export const RecipientKind = z.enum(['main', 'cc'], { error: '送达方式须为 main(主送) 或 cc(抄送)' });

/** 核发: everything the recipients' inboxes need, so the delivery process reads no other stream. */
export const DocumentSent = defineEvent(
  'DocumentSent',
  1,
  z.strictObject({
    ...Key,
    recipients: z.array(z.strictObject({ unitId: Id, kind: RecipientKind })).min(1),
    title: DocumentTitle,
    docNumber: DocNumber,
    docType: DocType,
    urgency: Urgency,
    /** The meeting a 会议通知 calls (its recipients' deadlines are reckoned from it). */
    meetingAt: MeetingAt.optional(),
    contentDigest: Sm3Hex,
    sentBy: UserId,
    sentAt: Timestamp,
  }),
);

/** 撤回, allowed while no recipient has signed; names the recipients whose deliveries it withdraws. */
export const DocumentRecalled = defineEvent(
  'DocumentRecalled',
  1,
  z.strictObject({
    ...Key,
    reason: RecallReason,
    recipients: z.array(Id),
    recalledBy: UserId,
    recalledAt: Timestamp,
  }),
);

/**
 * 归档 on the issuing side; terminal. Carries what the catalog (归档文件目录) row needs: 文号,
 * 责任者 (issuer), 题名, 日期 (the 成文日期, i.e. the sign-off time), 密级, plus the archivist's
 * classification (retention, fonds, organisation, pages).
 */
export const DocumentFiled = defineEvent(
  'DocumentFiled',
  1,
  z.strictObject({
    ...Key,
    retention: Retention,
    fondsCode: FondsCode.optional(),
    organisationCode: ArchiveOrganisationCode.optional(),
    pages: PageCount.optional(),
    remarks: Remarks.optional(),
    title: DocumentTitle,
    docNumber: DocNumber,
    docType: DocType,
    classification: RecordedClassification,
    year: DocYear,
    documentDate: Timestamp,
    contentDigest: Sm3Hex,
    recalled: z.boolean(),
    filedBy: UserId,
    filedAt: Timestamp,
  }),
);

export const documentEvents = [
  DocumentDrafted,
  DraftRevised,
  DocumentSignedOff,
  DocumentNumbered,
  DocumentSealed,
  DocumentSent,
  DocumentRecalled,
  DocumentFiled,
] as const;

export type DocumentEvent = EventOf<(typeof documentEvents)[number]>;
export type DocumentEventType = DocumentEvent['type'];
