import type pg from 'pg';
import type { Principal } from './authorization.ts';
import type { Refusal } from '../domain/refusal.ts';

export interface SecurityLogEntry {
  at: string;
  userId: string | null;
  unitId: string | null;
  commandType: string;
  commandId: string | null;
  code: string;
  message: string;
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

  async list(filter: { userId?: string; unitId?: string; limit?: number } = {}): Promise<SecurityLogEntry[]> {
    const { rows } = await this.pool.query(
      `SELECT at, user_id, unit_id, command_type, command_id, code, message FROM security_log
        WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR unit_id = $2)
        ORDER BY id DESC LIMIT $3`,
      [filter.userId ?? null, filter.unitId ?? null, filter.limit ?? 100],
    );
    return rows.map((r) => ({
      at: (r.at as Date).toISOString(),
      userId: r.user_id,
      unitId: r.unit_id,
      commandType: r.command_type,
      commandId: r.command_id,
      code: r.code,
      message: r.message,
    }));
  }
}
