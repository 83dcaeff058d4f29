import type { DecisionContext } from '../decider.ts';
import type { SealSummary } from '../seal/state.ts';
import type { ReservedNumber } from './state.ts';

/**
 * What the document decider needs from outside its stream. The handler reads it (directory, seal
 * registry, numbering and delivery streams, configuration) and hands it in, so the decision stays
 * pure. Each command needs only its part; `DocumentContextFor` says which.
 */

/** A unit's standing in the directory; undefined when no such unit is registered. */
export type UnitStatus = 'active' | 'inactive';
export type UnitStatusLookup = (unitId: string) => UnitStatus | undefined;

/** The seal as the seal registry knows it at the time of the command. */
export type SealSnapshot = SealSummary;

/** DraftDocument and ReviseDraft: the rules on content. */
export interface ContentRulesContext extends DecisionContext {
  /** Total size allowed for all attachments of one document (GONGWEN_ATTACHMENT_LIMIT_BYTES). */
  attachmentLimitBytes: number;
  unitStatus: UnitStatusLookup;
  /** The 机关代字 registered for the issuing unit (actor.unitId). */
  issuerPrefixes: readonly string[];
}

export interface SealContext extends DecisionContext {
  /**
   * Reserved beforehand on the numbering stream, under the sign-off it names (`signedOffAt`; absent
   * on reservations recorded before that was kept).
   */
  number: ReservedNumber & { signedOffAt?: string };
  /** The seal named by the command; undefined when the registry has no such seal. */
  seal: SealSnapshot | undefined;
  /**
   * The seal's SM2 signature (hex, DER or r‖s) over the digest of the content this decision seals:
   * made by the handler with the server-held key, or by the keeper's USB key. The decision checks it
   * against the seal's public key; a signature is never a pure function, so it comes from outside.
   */
  signature: string;
}

/** PrepareSealing: the sealing checks, before a number is reserved. */
export interface PrepareSealingContext extends DecisionContext {
  seal: SealSnapshot | undefined;
}

export interface SendContext extends DecisionContext {
  unitStatus: UnitStatusLookup;
}

export interface RecallContext extends DecisionContext {
  /** Recipient units that have signed for the document (read from the delivery streams). */
  signedRecipients: readonly string[];
}

export interface DocumentContextFor {
  DraftDocument: ContentRulesContext;
  ReviseDraft: ContentRulesContext;
  SignOffDocument: DecisionContext;
  PrepareSealing: PrepareSealingContext;
  SealDocument: SealContext;
  SendDocument: SendContext;
  RecallDocument: RecallContext;
  FileDocument: DecisionContext;
}

/** The one context type of the Decider: each command checks that its own part is there. */
export type DocumentContext = DecisionContext & Partial<Omit<ContentRulesContext & SealContext & SendContext & RecallContext, keyof DecisionContext>>;

/**
 * A missing part is a bug in the handler, not the clerk's mistake: fail loudly instead of deciding
 * on a default (an absent signedRecipients must never read as "nobody has signed").
 */
export function required<K extends keyof DocumentContext>(context: DocumentContext, key: K, command: string): NonNullable<DocumentContext[K]> {
  const value = context[key];
  if (value === undefined || value === null) throw new Error(`${command}: the handler must supply context.${String(key)}`);
  return value as NonNullable<DocumentContext[K]>;
}
