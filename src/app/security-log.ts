import type pg from 'pg';
import type { Principal } from './authorization.ts';
import type { Refusal } from '../domain/refusal.ts';
import { keysetConnection, type Connection, type PageArgs } from '../../projections/shared/keyset.ts';
import { Conditions } from '../../projections/shared/conditions.ts';

export interface SecurityLogEntry {
  at: string;
  userId: string | null;
  unitId: string | null;
  commandType: string;
  commandId: string | null;
  code: string;
  message: string;
}

export interface SecurityLogFilter {
  userId?: string;
  unitId?: string;
  code?: string;
  commandType?: string;
  from?: string;
  to?: string;
  order?: 'OLDEST' | 'NEWEST';
}

/** Writes every refused command and refused login; inspectors query it. A failure to log must not hide the refusal. */
export class SecurityLog {
  constructor(private readonly pool: pg.Pool) {}

  async record(principal: Principal, commandType: string, commandId: string | undefined, refusal: Refusal): Promise<void> {
    const user = principal.kind === 'user' ? principal : undefined;
    await this.pool.query(
      `INSERT INTO security_log (user_id, unit_id, command_type, command_id, code, message, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [user?.userId ?? 'system', user?.unitId ?? 'system', commandType, commandId ?? null, refusal.code, refusal.message, refusal.details],
    );
  }

  /** A login refused at the API: the user the credential named (if any) and where it came from. */
  async recordFailedLogin(claimedUserId: string | undefined, reason: string, remoteAddress: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO security_log (user_id, unit_id, command_type, command_id, code, message, details)
       VALUES ($1, NULL, 'Login', NULL, 'UNAUTHENTICATED', $2, $3)`,
      [claimedUserId ?? null, reason, { remoteAddress }],
    );
  }

  /**
   * The refusals as a Relay connection, NEWEST first by default (what an inspector opens the log
   * for), each filter an index range read in the order the refusals were written.
   */
  async page(filter: SecurityLogFilter, page: PageArgs): Promise<Connection<SecurityLogEntry>> {
    const c = new Conditions();
    if (filter.userId !== undefined) c.add((n) => `user_id = ${n}`, filter.userId);
    if (filter.unitId !== undefined) c.add((n) => `unit_id = ${n}`, filter.unitId);
    if (filter.code !== undefined) c.add((n) => `code = ${n}`, filter.code);
    if (filter.commandType !== undefined) c.add((n) => `command_type = ${n}`, filter.commandType);
    c.timeRange('at', filter.from, filter.to);
    return keysetConnection(
      this.pool,
      {
        scope: 'security-log',
        key: [{ sql: 'id', type: 'bigint' }],
        descending: (filter.order ?? 'NEWEST') === 'NEWEST',
        select: 'at, user_id, unit_id, command_type, command_id, code, message',
        from: 'security_log',
        where: c.where,
        params: c.params,
        rowMode: 'object',
        item: (r) => ({
          at: (r.at as Date).toISOString(),
          userId: r.user_id,
          unitId: r.unit_id,
          commandType: r.command_type,
          commandId: r.command_id,
          code: r.code,
          message: r.message,
        }),
      },
      page,
    );
  }
}
