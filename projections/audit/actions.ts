import type { allEventDefinitions } from '../../schemas/events/index.ts';

export type LedgerEventType = (typeof allEventDefinitions)[number]['type'];

/**
 * The Chinese name of the act each event records, as an inspector reads it in a timeline. Typed
 * over every event type of the registry, so a new event type without a label does not compile.
 */
export const actionLabels: Readonly<Record<LedgerEventType, string>> = {
  // 发文 (document-<id>)
  DocumentDrafted: '拟稿',
  DraftRevised: '修改',
  DocumentSignedOff: '签发',
  DocumentNumbered: '编号',
  DocumentSealed: '盖章',
  DocumentSent: '核发',
  DocumentRecalled: '撤回',
  DocumentFiled: '归档',
  // 收文 (delivery-<id>.<unit>)
  DocumentDelivered: '送达',
  DocumentReceived: '签收',
  DocumentReturned: '退回',
  DeliveryWithdrawn: '撤回送达',
  DeliveryReinstated: '恢复送达',
  IncomingRegistered: '登记',
  IncomingReviewed: '初审',
  DocumentRead: '传阅',
  InstructionGiven: '批示',
  HandlingAssigned: '承办',
  HandlingUrged: '催办',
  HandlingCompleted: '办结',
  ReplySent: '答复',
  IncomingFiled: '收文归档',
  // 印章 (seal-<id>)
  SealIssued: '制发印章',
  SealPassphraseChanged: '修改印章密码',
  SealReplaced: '更换印章',
  SealRevoked: '注销印章',
  SealDestroyed: '销毁印章',
  // 文号 (numbering-<unit>.<prefix>.<year>)
  DocumentNumberReserved: '预留文号',
  DocumentNumberReleased: '文号释放',
  // 目录 (unit-<id>, user-<id>)
  UnitRegistered: '登记单位',
  UnitRenamed: '单位更名',
  UnitDeactivated: '停用单位',
  DocNumberPrefixAdded: '增加机关代字',
  UserRegistered: '登记用户',
  RoleGranted: '授予角色',
  RoleRevoked: '撤销角色',
  UserDeactivated: '停用用户',
  CredentialIssued: '签发凭证',
  CredentialRevoked: '吊销凭证',
  // 版式文件 (rendering-<id>)
  DocumentRendered: '生成版式文件',
  // 电子监察 (supervision-<id>.<unit>, signin-, contact-, dailycheck-)
  DeadlineSet: '设定时限',
  WarningIssued: '预警',
  WarningCleared: '解除预警',
  ClockPaused: '暂停计时',
  ClockResumed: '恢复计时',
  UserSignedIn: '登录',
  UserMobileSet: '设置手机号码',
  DailyCheckRecorded: '每日检查',
  // 档案 (dossier-<fonds>.<year>)
  DossierItemArranged: '整理',
  DossierClosed: '关卷',
  DossierExportRequested: '申请移交导出',
  DossierExported: '移交导出',
  DossierExportFailed: '移交导出失败',
};

/**
 * The label of one event. Where the payload names the act more precisely than the type, the
 * payload's word is used: a 拟办意见 is not a 批示, and a 督办 is a stronger act than a 催办.
 */
export function actionOf(type: string, data: unknown): string {
  const d = data as { kind?: unknown; level?: unknown } | null;
  if (type === 'InstructionGiven' && (d?.kind === '批示' || d?.kind === '拟办意见')) return d.kind;
  if (type === 'HandlingUrged' && (d?.level === '催办' || d?.level === '督办')) return d.level;
  return (actionLabels as Record<string, string>)[type] ?? type;
}
