import type { z } from 'zod';
import type { DecisionContext } from '../decider.ts';
import type { DeliveryKind, InstructionKind, DueDate } from '../../../schemas/events/delivery.ts';
import type { DocType, Retention, Urgency } from '../../../schemas/common.ts';

/**
 * Where one recipient's copy stands.
 * - absent: no DocumentDelivered yet (the stream does not exist);
 * - delivered: in the recipient's inbox, awaiting 签收;
 * - returned: the recipient refused it (退回) — closed unless the sender sends it again;
 * - withdrawn: the sender's recall took it back — reinstated if the recall is abandoned;
 * - received: signed for (签收); every later 收文 step happens here;
 * - filed: 归档 — terminal.
 * Handling progress (assigned, completed) is kept beside the status, not in it, because reads,
 * instructions and replies go on while handling is under way.
 */
export type DeliveryStatus = 'absent' | 'delivered' | 'returned' | 'withdrawn' | 'received' | 'filed';

/** What the recipient was sent, copied from the sender's DocumentSent. */
export interface DeliveryHeader {
  documentId: string;
  unitId: string;
  kind: z.infer<typeof DeliveryKind>;
  issuerUnitId: string;
  title: string;
  docNumber: string;
  docType: z.infer<typeof DocType>;
  urgency: z.infer<typeof Urgency>;
  /** 会议时间 of a 会议通知. */
  meetingAt?: string;
  sentAt: string;
  sentEventId: string;
  deliveredAt: string;
}

export interface Assignment {
  assigneeUserId?: string;
  assigneeDepartment?: string;
  dueDate: z.infer<typeof DueDate>;
  note?: string;
  assignedBy: string;
  assignedAt: string;
}

export interface DeliveryState {
  status: DeliveryStatus;
  /** null only while absent. */
  delivery: DeliveryHeader | null;
  /**
   * Every DocumentSent that delivered into this stream: a process manager replaying an old one
   * after the document was sent again must not deliver it a second time.
   */
  sentEventIds: string[];
  receivedAt: string | null;
  receivedBy: string | null;
  registered: { registerNo?: string; note?: string; registeredBy: string; registeredAt: string } | null;
  /** The latest 初审; a later review supersedes an earlier one. */
  reviewed: { accepted: boolean; opinion?: string; reviewedBy: string; reviewedAt: string } | null;
  /** userIds of everyone who has read it, in the order of first reading. */
  readers: string[];
  instructions: { kind: z.infer<typeof InstructionKind>; text: string; givenBy: string; givenAt: string }[];
  /** The current assignment; a reassignment replaces it. */
  assignment: Assignment | null;
  /** Number of 催办/督办 since the delivery was received. */
  urges: number;
  completedAt: string | null;
  completedBy: string | null;
  result: string | null;
  replies: { text: string; replyDocumentId?: string; repliedBy: string; repliedAt: string }[];
  filed: { retention: z.infer<typeof Retention>; organisationCode?: string; remarks?: string; filedBy: string; filedAt: string } | null;
  returned: { reason: string; returnedBy: string; returnedAt: string } | null;
  /** The recall that currently holds the delivery back; null when none does. */
  withdrawn: { recallCommandId: string; reason: string; withdrawnAt: string } | null;
  /** Recalls that withdrew this delivery and were then abandoned: replaying them changes nothing. */
  reinstatedRecalls: string[];
}

/**
 * Facts from other aggregates that a decision needs; the handler loads them before calling decide.
 * A fact the command needs but the handler did not supply is treated as "not found", so a missing
 * lookup refuses rather than lets the command through.
 */
export interface DeliveryContext extends DecisionContext {
  /** For AssignHandling with assigneeUserId: the directory's record of that user, or null if unknown. */
  assignee?: { userId: string; unitId: string; active: boolean } | null;
  /** For SendReply with replyDocumentId: the reply document's issuing unit, or null if unknown. */
  replyDocument?: { documentId: string; issuerUnitId: string } | null;
}

export const initialDeliveryState = (): DeliveryState => ({
  status: 'absent',
  delivery: null,
  sentEventIds: [],
  receivedAt: null,
  receivedBy: null,
  registered: null,
  reviewed: null,
  readers: [],
  instructions: [],
  assignment: null,
  urges: 0,
  completedAt: null,
  completedBy: null,
  result: null,
  replies: [],
  filed: null,
  returned: null,
  withdrawn: null,
  reinstatedRecalls: [],
});
