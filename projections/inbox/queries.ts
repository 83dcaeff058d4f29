import type pg from 'pg';
import { refuse } from '../../src/domain/refusal.ts';
import { keysetConnection, type Connection, type KeyColumn, type PageArgs } from '../shared/keyset.ts';
import { WHOLE_UNIT } from './counts.ts';
import { InboxStatuses, type InboxRow, type InboxStatus } from './inbox-row.ts';
import { INBOX_COLUMNS, rowFromArray } from './inbox-table.ts';

/** A copy in a unit's inbox, as the API shows it. Times are ISO 8601 in UTC; absent facts are null. */
export type InboxItem = Omit<InboxRow, 'assigneeUserId' | 'assigneeDepartment' | 'assignedAt' | 'assignedBy'> & {
  /** 收文登记 done (registerNo may still be null: registration without a number is allowed). */
  registered: boolean;
  readerCount: number;
  /** 承办: the current assignment (a reassignment replaces it); null until assigned. */
  assignment: { assigneeUserId: string | null; assigneeDepartment: string | null; dueDate: string; assignedAt: string; assignedBy: string } | null;
};

export interface ListInboxOptions extends PageArgs {
  unitId: string;
  status?: InboxStatus;
  /** The copies assigned to this person (their 待办 with status awaiting_handling, 已办 with handled). */
  assigneeUserId?: string;
  /** PRIORITY (the default): urgency, due date, newest delivery; NEWEST: newest delivery first. */
  sort?: InboxSort;
}

const CURSOR_SCOPE = 'inbox';

export const InboxSorts = ['PRIORITY', 'NEWEST'] as const;
export type InboxSort = (typeof InboxSorts)[number];

/**
 * The sort keys, each served by indexes ending in it (indexes.sql).
 * PRIORITY: urgency (特急, 加急, 平件), then the due date (soonest first, none last), then the latest
 * delivery first, then documentId. What a clerk must not miss is an urgent copy or one about to
 * fall due, so those lead whatever their age; among equals the newest arrival comes first, as in any
 * mail box. NEWEST: the latest delivery first, whatever its urgency (the mail-box view).
 * documentId makes either order total (one unit holds one copy of a document), so a cursor always
 * lands on exactly one place and pages neither repeat nor skip a row. Every part of a key is an
 * ascending column of one composite index, so the keyset condition is an index range: a deep page
 * costs what the first one does. The same key serves every status, so a cursor means the same
 * place in any of a unit's lists of that order.
 */
const KEYS: Record<InboxSort, readonly KeyColumn[]> = {
  PRIORITY: [
    { sql: 'urgency_rank', type: 'smallint' },
    { sql: 'due_rank', type: 'bigint' },
    { sql: 'delivered_rank', type: 'bigint' },
    { sql: 'document_id', type: 'text' },
  ],
  NEWEST: [
    { sql: 'delivered_rank', type: 'bigint' },
    { sql: 'document_id', type: 'text' },
  ],
};

/** One page of a unit's inbox, optionally narrowed to a status and/or an assignee, either way (Relay). */
export async function listInbox(pool: pg.Pool, opts: ListInboxOptions): Promise<Connection<InboxItem>> {
  if (opts.status !== undefined && !InboxStatuses.includes(opts.status)) {
    refuse('VALIDATION_FAILED', `收文状态须为 ${InboxStatuses.join('、')} 之一 (unknown inbox status)`, { status: opts.status });
  }
  const sort = opts.sort ?? 'PRIORITY';
  if (!InboxSorts.includes(sort)) refuse('VALIDATION_FAILED', `排序方式须为 ${InboxSorts.join('、')} 之一 (unknown sort)`, { sort });
  const params: unknown[] = [opts.unitId];
  const where = ['unit_id = $1'];
  if (opts.status !== undefined) {
    params.push(opts.status);
    where.push(`status = $${params.length}`);
  }
  if (opts.assigneeUserId !== undefined) {
    params.push(opts.assigneeUserId);
    where.push(`assignee_user_id = $${params.length}`);
  }
  // The badge counters hold the size of every list but an assignee's full list (any status).
  const counted = opts.status !== undefined || opts.assigneeUserId === undefined;
  return keysetConnection(
    pool,
    {
      // The PRIORITY scope keeps its old name: cursors handed out before NEWEST existed stay valid.
      scope: sort === 'PRIORITY' ? CURSOR_SCOPE : `${CURSOR_SCOPE}:${sort}`,
      key: KEYS[sort],
      select: INBOX_COLUMNS,
      from: 'inbox_items',
      where,
      params,
      item: (r) => toItem(rowFromArray(r)),
      count: counted ? () => countOf(pool, opts.unitId, opts.assigneeUserId, opts.status) : undefined,
    },
    opts,
  );
}

/** A list's size from the counters apply keeps (a primary-key read), without a count over the copies. */
async function countOf(pool: pg.Pool, unitId: string, assigneeUserId: string | undefined, status: InboxStatus | undefined): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT coalesce(sum(n), 0)::int AS n FROM inbox_counts WHERE unit_id = $1 AND user_id = $2 AND ($3::text IS NULL OR status = $3)`,
    [unitId, assigneeUserId ?? WHOLE_UNIT, status ?? null],
  );
  return rows[0]!.n;
}

/** One copy, or null when the unit never received the document. */
export async function inboxItem(pool: pg.Pool, documentId: string, unitId: string): Promise<InboxItem | null> {
  const { rows } = await pool.query<unknown[]>({
    text: `SELECT ${INBOX_COLUMNS} FROM inbox_items WHERE document_id = $1 AND unit_id = $2`,
    values: [documentId, unitId],
    rowMode: 'array',
  });
  return rows[0] ? toItem(rowFromArray(rows[0])) : null;
}

export interface StatusCounts {
  awaitingReceipt: number;
  received: number;
  awaitingHandling: number;
  handled: number;
  returned: number;
  withdrawn: number;
}

export interface InboxCounts extends StatusCounts {
  unitId: string;
  /** Given a userId: that person's own 待办 (awaitingHandling) and 已办 (handled), the copies assigned to them. */
  person: { userId: string; awaitingHandling: number; handled: number } | null;
}

const countField: Record<InboxStatus, keyof StatusCounts> = {
  awaiting_receipt: 'awaitingReceipt',
  received: 'received',
  awaiting_handling: 'awaitingHandling',
  handled: 'handled',
  returned: 'returned',
  withdrawn: 'withdrawn',
};

const zeroCounts = (): StatusCounts => ({ awaitingReceipt: 0, received: 0, awaitingHandling: 0, handled: 0, returned: 0, withdrawn: 0 });

/** The unit's badge numbers (and a person's): a primary-key read of at most a dozen rows. */
export async function inboxCounts(pool: pg.Pool, unitId: string, userId?: string): Promise<InboxCounts> {
  if (userId === WHOLE_UNIT) refuse('VALIDATION_FAILED', '用户标识不能为空 (userId must not be empty)');
  const users = userId === undefined ? [WHOLE_UNIT] : [WHOLE_UNIT, userId];
  const { rows } = await pool.query<{ user_id: string; status: InboxStatus; n: number }>(
    'SELECT user_id, status, n FROM inbox_counts WHERE unit_id = $1 AND user_id = ANY($2::text[])',
    [unitId, users],
  );
  const unit = zeroCounts();
  const person = zeroCounts();
  for (const r of rows) (r.user_id === WHOLE_UNIT ? unit : person)[countField[r.status]] = r.n;
  return {
    unitId,
    ...unit,
    person: userId === undefined ? null : { userId, awaitingHandling: person.awaitingHandling, handled: person.handled },
  };
}

function toItem(row: InboxRow): InboxItem {
  const { assigneeUserId, assigneeDepartment, assignedAt, assignedBy, ...rest } = row;
  return {
    ...rest,
    registered: row.registeredAt !== null,
    readerCount: row.readers.length,
    assignment:
      assignedAt === null || assignedBy === null || row.dueDate === null
        ? null
        : { assigneeUserId, assigneeDepartment, dueDate: row.dueDate, assignedAt, assignedBy },
  };
}
