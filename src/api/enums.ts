import { GraphQLEnumType, getNamedType, isInputObjectType, isObjectType, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import { Classifications, DocTypes, Retentions, Roles, Urgencies } from '../../schemas/common.ts';
import { UnitKinds } from '../../schemas/events/directory.ts';
import { InstructionKinds, UrgeLevels } from '../../schemas/events/delivery.ts';
import { KeyCustodies, SealTypes } from '../../schemas/events/seal.ts';
import { ClearReasons, SupervisionClocks, WarningLevel, type ClockPaused, type ClockResumed, type DeadlineSet, type WarningCleared, type WarningIssued } from '../../schemas/events/supervision.ts';
import type { DocumentStatus } from '../domain/document/state.ts';
import type { SealStatus } from '../domain/seal/state.ts';
import type { InboxStatus } from '../../projections/inbox/inbox-row.ts';
import type { RecipientStatus, SentStatus } from '../../projections/sent-box/sent-row.ts';
import type { SearchStatus } from '../../projections/search/fold.ts';
import type { ServedHashStatus } from '../../projections/audit/served-status.ts';
import type { SealAnomaly } from '../../projections/directory/seal-anomalies.ts';
import type { SealProblemCode } from '../seal/verify-sealed-document.ts';
import { errorCodes } from './errors.ts';
import type { DossierExportView } from '../export/export-jobs.ts';
import type { Aspect } from '../export/check/check-package.ts';
import type { Side } from '../../projections/catalogue/fold.ts';
import { NumberReleaseReason } from '../../schemas/events/numbering-release.ts';

/**
 * The closed sets of the domain as GraphQL enums: the one place where a domain value (特急, Y,
 * signedOff) gets its API name (EXTRA_URGENT, PERMANENT, SIGNED_OFF) and its description.
 * GraphQL names must be ASCII; the domain keeps its own values, and the schema maps between them
 * (withDomainEnumValues), so a resolver receives and returns the domain's values and the client
 * sees only the names. The SDL is generated from this (schemas/graphql/enums.graphql, `npm run sdl`).
 */
export interface ApiEnum {
  name: string;
  description: string;
  /** domain value → API name and description */
  values: Map<string, { name: string; description: string }>;
}

const enumOf = <V extends string>(name: string, description: string, values: Record<V, readonly [name: string, description: string]>, order?: readonly V[]): ApiEnum => ({
  name,
  description,
  values: new Map((order ?? (Object.keys(values) as V[])).map((v) => [v, { name: values[v][0], description: values[v][1] }])),
});

/** Values whose API name is the domain value itself (already ASCII names). */
const same = <V extends string>(described: Record<V, string>) =>
  Object.fromEntries(Object.entries(described).map(([v, d]) => [v, [v, d] as const])) as Record<V, readonly [string, string]>;

/** The events of a delivery's supervision stream, each on a clock's timeline. */
type SupervisionTimelineType = (typeof DeadlineSet | typeof WarningIssued | typeof ClockPaused | typeof ClockResumed | typeof WarningCleared)['type'];

const roleDescriptions: Record<(typeof Roles)[number], string> = {
  SUPER_ADMIN: '超级管理员：登记单位、用户和印章，管理一切账户 (super administrator)',
  UNIT_ADMIN: '单位管理员：本单位的用户和登录凭证 (unit administrator)',
  SEAL_KEEPER: '印章保管人（用印管理员）：盖章 (seal keeper)',
  CLERK: '文书（收发员）：拟稿、核发、签收、登记、归档 (clerk)',
  LEADER: '领导：签发、批示 (leader: signs off, gives instructions)',
  STAFF: '承办人员：办理交办的公文 (staff: handles assigned documents)',
  INSPECTOR: '纪检监察人员：查看所有单位的记录与安全日志 (inspector)',
  ARCHIVIST: '档案员：整理、移交档案 (archivist)',
};

export const apiEnums: readonly ApiEnum[] = [
  enumOf('DocType', '文种：党政机关公文处理工作条例第八条规定的 15 种公文 (document type)', {
    决议: ['RESOLUTION', '决议 (resolution)'],
    决定: ['DECISION', '决定 (decision)'],
    命令: ['ORDER', '命令（令）(order)'],
    公报: ['COMMUNIQUE', '公报 (communiqué)'],
    公告: ['ANNOUNCEMENT', '公告 (announcement)'],
    通告: ['PUBLIC_NOTICE', '通告 (public notice)'],
    意见: ['OPINION', '意见 (opinion)'],
    通知: ['NOTICE', '通知 (notice)'],
    通报: ['CIRCULAR', '通报 (circular)'],
    报告: ['REPORT', '报告 (report)'],
    请示: ['REQUEST', '请示 (request for instructions)'],
    批复: ['REPLY', '批复 (official reply)'],
    议案: ['MOTION', '议案 (motion)'],
    函: ['LETTER', '函 (letter)'],
    纪要: ['MINUTES', '纪要 (minutes)'],
  }, DocTypes),
  enumOf('Urgency', '紧急程度 (urgency)', { 特急: ['EXTRA_URGENT', '特急 (extra urgent)'], 加急: ['URGENT', '加急 (urgent)'], 平件: ['ORDINARY', '平件 (ordinary)'] }, Urgencies),
  enumOf('Classification', '密级：本系统只承载非密公文，涉密的三级会被拒绝 (CLASSIFIED_REFUSED) (classification)', {
    非密: ['UNCLASSIFIED', '非密 (not classified)'],
    秘密: ['CONFIDENTIAL', '秘密 (confidential; refused)'],
    机密: ['SECRET', '机密 (secret; refused)'],
    绝密: ['TOP_SECRET', '绝密 (top secret; refused)'],
  }, Classifications),
  enumOf('Retention', '保管期限 (DA/T 22-2015) (retention period)', {
    Y: ['PERMANENT', '永久，档号中记 Y (permanent)'],
    D30: ['YEARS_30', '定期 30 年，档号中记 D30 (30 years)'],
    D10: ['YEARS_10', '定期 10 年，档号中记 D10 (10 years)'],
  }, Retentions),
  enumOf('Role', '用户角色 (role)', same(roleDescriptions), Roles),
  enumOf('ActorRole', '记录一项操作时行为人所用的角色，SYSTEM 为账本自身 (the role an event was recorded under)', {
    ...same(roleDescriptions),
    SYSTEM: ['SYSTEM', '账本自身（流程管理器、定时任务）(the ledger itself)'],
  }),
  enumOf('DocumentStatus', '公文（发文）在自身事件流中的状态 (document status)', {
    drafted: ['DRAFTED', '已拟稿，待签发 (drafted)'],
    signedOff: ['SIGNED_OFF', '已签发，待盖章 (signed off)'],
    sealed: ['SEALED', '已盖章，待核发 (sealed)'],
    sent: ['SENT', '已核发 (sent)'],
    recalled: ['RECALLED', '已撤回 (recalled)'],
    filed: ['FILED', '已归档 (filed)'],
  } satisfies Record<DocumentStatus, readonly [string, string]>),
  enumOf('InboxStatus', '收文状态 (inbox status)', {
    awaiting_receipt: ['AWAITING_RECEIPT', '待签收 (awaiting receipt)'],
    received: ['RECEIVED', '已签收 (received)'],
    awaiting_handling: ['AWAITING_HANDLING', '待办：已交办，尚未办结 (awaiting handling)'],
    handled: ['HANDLED', '已办 (handled)'],
    returned: ['RETURNED', '已退回 (returned)'],
    withdrawn: ['WITHDRAWN', '发文单位已撤回 (withdrawn by the sender)'],
  } satisfies Record<InboxStatus, readonly [string, string]>),
  enumOf('SentStatus', '发文（发件箱）状态 (sent document status)', {
    sent: ['SENT', '已核发 (sent)'],
    recalled: ['RECALLED', '已撤回 (recalled)'],
    filed: ['FILED', '已归档 (filed)'],
  } satisfies Record<SentStatus, readonly [string, string]>),
  enumOf('RecipientStatus', '一个收文单位的送达状态，发文单位所见 (a recipient\'s delivery status)', {
    pending: ['PENDING', '待送达 (pending)'],
    delivered: ['DELIVERED', '已送达，待签收 (delivered)'],
    received: ['RECEIVED', '已签收 (received)'],
    returned: ['RETURNED', '已退回 (returned)'],
    completed: ['COMPLETED', '已办结 (completed)'],
    filed: ['FILED', '已归档 (filed)'],
    withdrawn: ['WITHDRAWN', '已撤回 (withdrawn)'],
  } satisfies Record<RecipientStatus, readonly [string, string]>),
  enumOf('SearchStatus', '检索结果中公文的状态 (status of a document found by search)', {
    drafted: ['DRAFTED', '拟稿中 (drafted)'],
    sealed: ['SEALED', '已盖章 (sealed)'],
    sent: ['SENT', '已核发 (sent)'],
    recalled: ['RECALLED', '已撤回 (recalled)'],
  } satisfies Record<SearchStatus, readonly [string, string]>),
  enumOf('RecipientKind', '送达方式 (recipient kind)', { main: ['MAIN', '主送 (main recipient)'], cc: ['CC', '抄送 (copy)'] }),
  enumOf('InstructionKind', '意见类别 (kind of instruction)', { 批示: ['INSTRUCTION', '领导批示 (leader\'s instruction)'], 拟办意见: ['PROPOSED_HANDLING', '拟办意见 (proposed handling)'] }, InstructionKinds),
  enumOf('UrgeLevel', '催办级别 (level of urging)', { 催办: ['REMIND', '催办 (reminder)'], 督办: ['SUPERVISE', '督办 (supervised urging)'] }, UrgeLevels),
  enumOf('SupervisionClock', '时限类别 (which deadline)', { sign: ['SIGN', '签收时限 (to sign for it)'], handle: ['HANDLE', '办理时限 (to handle it)'] }, SupervisionClocks),
  enumOf('SealType', '印章类型 (seal type)', {
    单位公章: ['UNIT_SEAL', '单位公章 (official unit seal)'],
    公文专用章: ['DOCUMENT_SEAL', '公文专用章 (seal for official documents)'],
    业务专用章: ['BUSINESS_SEAL', '业务专用章 (business seal)'],
    财务专用章: ['FINANCE_SEAL', '财务专用章 (finance seal)'],
    合同专用章: ['CONTRACT_SEAL', '合同专用章 (contract seal)'],
  }, SealTypes),
  enumOf('KeyCustody', '印章私钥的保管方式 (where the seal\'s private key is kept)', {
    server: ['SERVER', '服务器托管，保管人以口令启用 (held by the ledger, unlocked with the keeper\'s passphrase)'],
    client: ['CLIENT', '保管人的 USB Key (the keeper\'s USB key)'],
  }, KeyCustodies),
  enumOf('SealStatus', '印章状态 (seal status)', {
    active: ['ACTIVE', '有效 (active)'],
    replaced: ['REPLACED', '已被新章替换 (replaced)'],
    revoked: ['REVOKED', '已吊销 (revoked)'],
    destroyed: ['DESTROYED', '已销毁 (destroyed)'],
  } satisfies Record<SealStatus, readonly [string, string]>),
  enumOf('UnitKind', '单位类别 (kind of unit)', {
    'city-office': ['CITY_OFFICE', '市政府办公室 (city government office)'],
    'city-department': ['CITY_DEPARTMENT', '市直部门 (city department)'],
    district: ['DISTRICT', '县区政府 (district or county government)'],
    'district-department': ['DISTRICT_DEPARTMENT', '县区部门 (district department)'],
    town: ['TOWN', '乡镇、街道 (town or subdistrict)'],
    other: ['OTHER', '其他 (other)'],
  }, UnitKinds),
  enumOf('TimelineHashStatus', '审计时间线条目与其事件核对的结果 (how a timeline entry checked against its event)', {
    verified: ['VERIFIED', '一致 (verified)'],
    hash_mismatch: ['HASH_MISMATCH', '事件内容与其哈希不符 (the event does not match its hash)'],
    chain_broken: ['CHAIN_BROKEN', '哈希链断裂 (the chain to the previous event is broken)'],
    entry_altered: ['ENTRY_ALTERED', '读模型被改动过 (the read model was edited)'],
    event_missing: ['EVENT_MISSING', '没有这个事件 (no such event)'],
  } satisfies Record<ServedHashStatus, readonly [string, string]>),
  enumOf('SealAnomaly', '用印登记中值得检查的情形 (what an inspector should look at in a seal use)', {
    OFF_HOURS: ['OFF_HOURS', '工作时间以外用印 (outside office hours)'],
    WEEKEND: ['WEEKEND', '非工作日用印 (on a day off)'],
    NOT_KEEPER: ['NOT_KEEPER', '盖章人不是该印章的保管人 (not a keeper of the seal)'],
    NEAR_EXPIRY: ['NEAR_EXPIRY', '印章临近有效期末 (seal near its expiry)'],
    INVALID_SEAL: ['INVALID_SEAL', '用印时印章已无效 (seal not valid at the time)'],
  } satisfies Record<SealAnomaly, readonly [string, string]>),
  enumOf('SealProblemCode', '电子印章验证未通过的原因 (why a seal did not verify)', {
    CONTENT_CHANGED: ['CONTENT_CHANGED', '盖章后内容被改动 (content changed after sealing)'],
    ATTACHMENT_CHANGED: ['ATTACHMENT_CHANGED', '附件被改动 (an attachment changed)'],
    ATTACHMENT_MISSING: ['ATTACHMENT_MISSING', '缺少附件 (an attachment is missing)'],
    SIGNATURE_INVALID: ['SIGNATURE_INVALID', '签名验证失败 (signature invalid)'],
    SEAL_RECORD_INVALID: ['SEAL_RECORD_INVALID', '印章记录（制章者签名）无效 (seal record invalid)'],
    UNTRUSTED_ISSUER: ['UNTRUSTED_ISSUER', '制章者不受信任 (untrusted issuer)'],
    SEAL_RECORD_MISMATCH: ['SEAL_RECORD_MISMATCH', '印章记录与印章不符 (seal record mismatch)'],
    KEY_MISMATCH: ['KEY_MISMATCH', '签名密钥与印章公钥不符 (key mismatch)'],
    SEAL_OF_ANOTHER_UNIT: ['SEAL_OF_ANOTHER_UNIT', '印章不属于发文单位 (seal of another unit)'],
    SEAL_REVOKED_BEFORE_SEALING: ['SEAL_REVOKED_BEFORE_SEALING', '盖章前印章已吊销 (seal revoked before sealing)'],
    SEAL_NOT_VALID_AT_SEALING_TIME: ['SEAL_NOT_VALID_AT_SEALING_TIME', '盖章时不在印章有效期内 (seal not valid at sealing time)'],
    DOCUMENT_MISMATCH: ['DOCUMENT_MISMATCH', '签章对应的不是这份公文 (sealing of another document)'],
    PACKAGE_ALTERED: ['PACKAGE_ALTERED', '导出包被改动 (package altered)'],
    LEDGER_PROOF_INVALID: ['LEDGER_PROOF_INVALID', '账本存证验证未通过 (ledger proof invalid)'],
  } satisfies Record<SealProblemCode, readonly [string, string]>),
  enumOf('ErrorCode', '错误代码：每个错误的 extensions.code 都是其中之一 (every error\'s extensions.code)', Object.fromEntries(
    Object.entries(errorCodes).map(([code, e]) => [code, [code, `${e.zh}（HTTP ${e.status}）(${e.en})`] as const]),
  )),
  // 电子监察 (schemas/graphql/supervision.graphql); its 催办/督办 are UrgeLevel's, its clocks SupervisionClock's.
  enumOf('WarningLevel', '预警级别 (warning level)', {
    yellow: ['YELLOW', '黄牌：到期未办，催办 (yellow: past the deadline, a reminder)'],
    red: ['RED', '红牌：到期后又过一个工作日仍未办，督办 (red: a working day later, supervised urging)'],
  }, WarningLevel.options),
  enumOf('WarningClearReason', '预警解除的原因 (why a warning ended)', {
    signed: ['SIGNED', '已签收 (signed for)'],
    returned: ['RETURNED', '已退回 (returned)'],
    withdrawn: ['WITHDRAWN', '发文单位已撤回 (withdrawn by the sender)'],
    completed: ['COMPLETED', '已办结 (completed)'],
    filed: ['FILED', '已归档 (filed)'],
    rescheduled: ['RESCHEDULED', '时限已重设（交办、恢复计时）(the deadline was set anew)'],
    redelivered: ['REDELIVERED', '重新送达 (delivered anew)'],
  }, ClearReasons),
  enumOf('SupervisionEventType', '监察时间线上的事件 (an event of a clock\'s timeline)', {
    DeadlineSet: ['DEADLINE_SET', '设定时限 (deadline set)'],
    WarningIssued: ['WARNING_ISSUED', '预警 (warning issued)'],
    ClockPaused: ['CLOCK_PAUSED', '暂停计时 (clock paused)'],
    ClockResumed: ['CLOCK_RESUMED', '恢复计时 (clock resumed)'],
    WarningCleared: ['WARNING_CLEARED', '解除预警 (warning cleared)'],
  } satisfies Record<SupervisionTimelineType, readonly [string, string]>),
  // ---- the archive side: 移交导出, 四性检测, 归档文件目录, 发文登记簿 (issue 11) ----
  enumOf('DossierExportStatus', '移交导出任务的状态 (export job status)', {
    requested: ['REQUESTED', '已申请，等待执行 (requested, waiting to run)'],
    running: ['RUNNING', '正在生成移交包 (writing the package)'],
    exported: ['EXPORTED', '已导出，可下载 (exported; the package can be downloaded)'],
    failed: ['FAILED', '导出失败，原因见 error (failed; see error)'],
  } satisfies Record<DossierExportView['status'], readonly [string, string]>),
  enumOf('PackageAspect', '四性检测的一项 (DA/T 70-2018) (an aspect of the package check)', {
    authenticity: ['AUTHENTICITY', '真实性：签名、摘要、档号与目录相符 (authenticity: signatures, digests, archival codes)'],
    integrity: ['INTEGRITY', '完整性：目录、登记表与内容一一对应，件号连续 (integrity: nothing missing or unlisted)'],
    usability: ['USABILITY', '可用性：文件可读、未加密、格式与 XML 合规 (usability: readable, unencrypted, valid formats)'],
    security: ['SECURITY', '安全性：无可执行文件、链接、特殊文件或越界路径 (security: no executables, links, special files or unsafe paths)'],
  } satisfies Record<Aspect, readonly [string, string]>),
  enumOf('CatalogueSide', '归档文件的来源：发文或收文 (whether a filed item was sent or received)', {
    sent: ['SENT', '发文：本单位发出的 (issued by the unit)'],
    incoming: ['INCOMING', '收文：本单位收到的 (received by the unit)'],
  } satisfies Record<Side, readonly [string, string]>),
  enumOf('NumberReleaseReason', '发文字号释放的原因 (why a reserved number was given back)', {
    SIGN_OFF_VOIDED: ['SIGN_OFF_VOIDED', '预留文号后稿件被修改，原签发作废 (the draft was revised after the reservation, voiding its sign-off)'],
    PREFIX_CHANGED: ['PREFIX_CHANGED', '预留文号后稿件改用其他机关代字 (the draft now uses another prefix)'],
  }, NumberReleaseReason.options),
];

const byName = new Map(apiEnums.map((e) => [e.name, e]));
export const apiEnum = (name: string): ApiEnum => {
  const found = byName.get(name);
  if (!found) throw new Error(`no API enum ${name}`);
  return found;
};

/**
 * The API enum of a zod enum, found by its values (the generator sees the JSON Schema, which does
 * not keep the zod schema's identity). Every command enum must have one: the generator refuses
 * otherwise, so no closed set reaches the API as a bare String.
 */
export function enumForValues(values: readonly unknown[]): ApiEnum {
  const key = [...values].map(String).sort().join('\u0000');
  const found = apiEnums.find((e) => e.name !== 'ActorRole' && [...e.values.keys()].sort().join('\u0000') === key);
  if (!found) throw new Error(`no GraphQL enum for the zod enum ${values.join(' ')}: add it to src/api/enums.ts`);
  return found;
}

const quote = (s: string) => JSON.stringify(s);

/** schemas/graphql/enums.graphql */
export function enumSdl(): string {
  const blocks = apiEnums.map((e) => {
    const values = [...e.values.values()].map((v) => `  ${quote(v.description)}\n  ${v.name}`).join('\n');
    return `${quote(e.description)}\nenum ${e.name} {\n${values}\n}`;
  });
  return `# Generated from src/api/enums.ts and src/api/errors.ts by \`npm run sdl\`. Do not edit.\n# Each value's description names the domain's term; resolvers see the domain's values.\n\n${blocks.join('\n\n')}\n`;
}

/**
 * Gives each enum value of the built schema its domain value, so that input arrives as the domain
 * writes it (EXTRA_URGENT → 特急) and the domain's values serialise as their names. Done before the
 * schema serves anything (graphql builds its value look-ups on first use).
 */
export function withDomainEnumValues(schema: GraphQLSchema): GraphQLSchema {
  const toDomain = new Map<string, Map<string, string>>();
  for (const e of apiEnums) {
    const type = schema.getType(e.name);
    if (!(type instanceof GraphQLEnumType)) continue;
    toDomain.set(e.name, new Map([...e.values].map(([domain, { name }]) => [name, domain])));
    for (const [domain, { name }] of e.values) {
      const value = type.getValue(name);
      if (!value) throw new Error(`enum ${e.name} has no value ${name}`);
      value.value = domain;
    }
  }
  // Defaults were read from the SDL while the values were still the names (`urgency: Urgency = ORDINARY`).
  const fixDefault = (holder: { type: GraphQLInputType; defaultValue?: unknown }) => {
    const names = toDomain.get(getNamedType(holder.type).name);
    if (!names || holder.defaultValue === undefined || holder.defaultValue === null) return;
    const map = (v: unknown) => names.get(String(v)) ?? v;
    holder.defaultValue = Array.isArray(holder.defaultValue) ? holder.defaultValue.map(map) : map(holder.defaultValue);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isInputObjectType(type)) Object.values(type.getFields()).forEach(fixDefault);
    if (isObjectType(type)) for (const field of Object.values(type.getFields())) field.args.forEach(fixDefault);
  }
  return schema;
}
