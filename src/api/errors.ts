import mercurius from 'mercurius';
import type { FastifyBaseLogger } from 'fastify';
import { Refusal, type RefusalCode } from '../domain/refusal.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';

/**
 * Every `extensions.code` the API answers, with what it means and the HTTP status of a request it
 * refuses as a whole (before anything ran; an error of one field of an answer is HTTP 200). The
 * one list: the schema's ErrorCode enum is generated from it (src/api/enums.ts), and a test fails
 * when the code raises a code that is not here.
 */
export const errorCodes = {
  VALIDATION_FAILED: { status: 400, zh: '输入不符合要求：字段、格式或取值有误，extensions.field 或 details 指明是哪一项', en: 'the input is invalid; extensions.field or details name what' },
  CLASSIFIED_REFUSED: { status: 200, zh: '涉密公文（秘密、机密、绝密）不得进入本系统', en: 'classified documents are refused' },
  ATTACHMENTS_TOO_LARGE: { status: 200, zh: '附件总大小超过上限', en: 'the attachments exceed the size limit' },
  NOT_FOUND: { status: 200, zh: '没有这个对象（或无权知道它存在）', en: 'no such object' },
  ALREADY_EXISTS: { status: 200, zh: '该标识已被使用', en: 'the id is already taken' },
  INVALID_STATE: { status: 200, zh: '对象当前的状态不允许这项操作（例如未签发就盖章）', en: 'not allowed in the object\'s current state' },
  NOT_AUTHORISED: { status: 200, zh: '当前用户的角色或单位无权进行这项操作', en: 'the caller\'s roles or unit do not allow this' },
  UNAUTHENTICATED: { status: 200, zh: '未登录，或登录凭证无效、过期、已吊销', en: 'no valid login' },
  SEAL_NOT_USABLE: { status: 200, zh: '印章不可用：已吊销、已替换、不在有效期内或不属于本单位', en: 'the seal cannot be used' },
  SIGNATURE_INVALID: { status: 200, zh: '签名验证未通过（USB Key 的签名不是对这份内容、这枚印章的）', en: 'the signature does not verify' },
  SEAL_PASSPHRASE_WRONG: { status: 200, zh: '印章口令错误；连续错误将锁定印章', en: 'wrong seal passphrase' },
  SEAL_LOCKED: { status: 200, zh: '口令错误次数过多，印章暂时锁定', en: 'the seal is locked after too many wrong passphrases' },
  SEAL_KEY_DAMAGED: { status: 200, zh: '服务器托管的印章私钥记录已损坏或被替换，请联系管理员', en: 'the server-held seal key is damaged' },
  RECIPIENT_INVALID: { status: 200, zh: '收文单位无效：未登记、已撤销或重复', en: 'a recipient is not a valid unit' },
  CONFLICT: { status: 200, zh: '并发修改冲突，重试多次仍未成功；可用同一 commandId 重试', en: 'concurrent changes; retry with the same commandId' },
  COMMAND_ID_REUSED: { status: 200, zh: '同一 commandId 已用于另一条不同的命令', en: 'the commandId was used for a different command' },
  DATABASE_UNAVAILABLE: { status: 200, zh: '数据库暂时不可用；稍后用同一 commandId 重试', en: 'the database is unavailable; retry with the same commandId' },
  QUERY_TOO_COMPLEX: { status: 400, zh: '查询过于复杂：估算代价或嵌套深度超过上限', en: 'the query\'s estimated cost or depth exceeds the limit' },
  QUERY_TOO_LARGE: { status: 400, zh: '查询文档过大（字节数或词法单元数）', en: 'the query document is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, zh: '请求体须为 application/json（或 application/graphql）', en: 'the request body must be application/json' },
  RESPONSE_TOO_LARGE: { status: 200, zh: '查询结果过大，请分页或减少字段', en: 'the answer is too large' },
  QUERY_TIMEOUT: { status: 503, zh: '请求处理超时，已中止', en: 'the request timed out' },
  SERVER_BUSY: { status: 503, zh: '服务器繁忙，请稍后重试', en: 'the server is busy; retry later' },
  READ_MODELS_TIMEOUT: { status: 200, zh: '命令已记录，但读模型未能在时限内赶上；可用同一 commandId 重试以再次等待', en: 'the command is recorded but the read models did not catch up in time; retry with the same commandId to wait again' },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, zh: '服务器上没有这个哈希的预存查询，请发送查询全文', en: 'no persisted query with this hash; send the query text' },
  PERSISTED_QUERY_REQUIRED: { status: 400, zh: '本服务器只执行预存查询，请发送其哈希', en: 'this server runs persisted queries only; send the hash' },
  INTERNAL_ERROR: { status: 200, zh: '系统内部错误，操作未完成', en: 'internal error; nothing was changed' },
} as const satisfies Record<string, { status: number; zh: string; en: string }>;

export type ErrorCode = keyof typeof errorCodes;

// Every code the domain refuses with is in the list: tsc fails here otherwise.
type Listed<T extends ErrorCode> = T;
export type RefusalCodes = Listed<RefusalCode>;

/** A GraphQL error with a stable `extensions.code` and a message for the clerk. */
export const apiError = (code: ErrorCode, message: string, details?: Record<string, unknown>) =>
  new mercurius.ErrorWithProps(message, { code, ...(details && Object.keys(details).length ? { details } : {}) }, 200);

/**
 * Every failure leaves a resolver as a typed error: refusals keep their code, anything unexpected
 * is logged in full and answered with INTERNAL_ERROR, never with internals or an HTTP 500.
 */
export async function guarded<T>(log: FastifyBaseLogger, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Refusal) throw apiError(error.code, error.message, jsonSafe(error.details));
    if (error instanceof mercurius.ErrorWithProps) throw error;
    if (isDatabaseUnavailable(error)) throw databaseUnavailable();
    log.error({ err: error }, 'unexpected error in a resolver');
    throw apiError('INTERNAL_ERROR', '系统内部错误，操作未完成，请稍后重试或联系管理员 (internal error; nothing was changed)');
  }
}

// zod issues and the like may hold values that do not serialise; the client needs only the data.
const jsonSafe = (details: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(details)) as Record<string, unknown>;

/** The database is restarting or unreachable: retryable (with the same commandId), not a failure of the request. */
export const databaseUnavailable = () =>
  apiError('DATABASE_UNAVAILABLE', '数据库暂时不可用，请稍后用同一 commandId 重试 (database unavailable; retry later with the same commandId)', { retryable: true });
