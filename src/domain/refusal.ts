/**
 * A command the domain will not carry out. `code` is stable (API clients branch on it; it becomes
 * the GraphQL `extensions.code`), `message` is for the clerk, in Chinese, saying what to do.
 */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

export type RefusalCode =
  | 'VALIDATION_FAILED'
  | 'CLASSIFIED_REFUSED'
  | 'ATTACHMENTS_TOO_LARGE'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'NOT_AUTHORISED'
  | 'SEAL_NOT_USABLE'
  | 'SIGNATURE_INVALID'
  | 'SEAL_PASSPHRASE_WRONG'
  | 'SEAL_LOCKED'
  /** The server-held seal key's row is damaged or swapped (checked before any passphrase). */
  | 'SEAL_KEY_DAMAGED'
  | 'RECIPIENT_INVALID'
  | 'CONFLICT'
  | 'COMMAND_ID_REUSED';

export const refuse = (code: RefusalCode, message: string, details?: Record<string, unknown>): never => {
  throw new Refusal(code, message, details);
};
