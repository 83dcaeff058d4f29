import type pg from 'pg';
import { upsertRows, upsertStatement } from '../shared/bulk-upsert.ts';
import type { DirectoryState } from './fold.ts';
import { credentialKey, type CredentialRow, type SealRow, type UnitRow, type UserRow } from './rows.ts';

/** Loading and writing back the directory rows of one batch: one query per table, each way. */

const iso = (v: Date | null): string | null => (v === null ? null : v.toISOString());

type Dated<T, K extends keyof T> = Omit<T, K> & { [P in K]: T[P] extends string ? Date : Date | null };

export async function loadDirectoryState(
  tx: pg.ClientBase,
  keys: { units: string[]; users: string[]; credentialUsers: string[]; seals: string[] },
  needUsageSeq: boolean,
): Promise<DirectoryState> {
  const state: DirectoryState = {
    units: new Map(),
    users: new Map(),
    credentials: new Map(),
    seals: new Map(),
    usage: [],
    dirty: { units: new Set(), users: new Set(), credentials: new Set(), seals: new Set() },
    lastUsageSeq: 0,
  };
  if (keys.units.length > 0) {
    const { rows } = await tx.query<Dated<UnitRow, 'registered_at' | 'updated_at'>>('SELECT * FROM directory_units WHERE unit_id = ANY($1)', [keys.units]);
    for (const r of rows) state.units.set(r.unit_id, { ...r, registered_at: r.registered_at.toISOString(), updated_at: r.updated_at.toISOString() });
  }
  if (keys.users.length > 0) {
    const { rows } = await tx.query<Dated<UserRow, 'registered_at' | 'updated_at'>>('SELECT * FROM directory_users WHERE user_id = ANY($1)', [keys.users]);
    for (const r of rows) state.users.set(r.user_id, { ...r, registered_at: r.registered_at.toISOString(), updated_at: r.updated_at.toISOString() });
  }
  if (keys.credentialUsers.length > 0) {
    const { rows } = await tx.query<Dated<CredentialRow, 'expires_at' | 'issued_at' | 'revoked_at'>>(
      'SELECT * FROM directory_credentials WHERE user_id = ANY($1)',
      [keys.credentialUsers],
    );
    for (const r of rows) {
      state.credentials.set(credentialKey(r.user_id, r.credential_id), {
        ...r,
        expires_at: iso(r.expires_at),
        issued_at: r.issued_at.toISOString(),
        revoked_at: iso(r.revoked_at),
      });
    }
  }
  if (keys.seals.length > 0) {
    const { rows } = await tx.query<Dated<SealRow, 'valid_from' | 'valid_to' | 'issued_at' | 'updated_at'>>('SELECT * FROM directory_seals WHERE seal_id = ANY($1)', [keys.seals]);
    for (const r of rows) {
      state.seals.set(r.seal_id, {
        ...r,
        valid_from: r.valid_from.toISOString(),
        valid_to: r.valid_to.toISOString(),
        issued_at: r.issued_at.toISOString(),
        updated_at: r.updated_at.toISOString(),
      });
    }
  }
  if (needUsageSeq) {
    const { rows } = await tx.query<{ last: number }>('SELECT coalesce(max(usage_seq), 0)::bigint AS last FROM directory_seal_usage');
    state.lastUsageSeq = Number(rows[0]!.last);
  }
  return state;
}

const upsertSql = (table: string, key: readonly string[], columns: Record<string, string>): string =>
  upsertStatement(table, Object.entries(columns).map(([name, type]) => ({ name, type })), key);

const UNITS_SQL = upsertSql('directory_units', ['unit_id'], {
  unit_id: 'text',
  name: 'text',
  short_name: 'text',
  kind: 'text',
  parent_unit_id: 'text',
  fonds_code: 'text',
  organisation_code: 'text',
  doc_number_prefixes: 'text[]',
  active: 'boolean',
  deactivation_reason: 'text',
  previous_names: 'jsonb',
  registered_at: 'timestamptz',
  updated_at: 'timestamptz',
});

const USERS_SQL = upsertSql('directory_users', ['user_id'], {
  user_id: 'text',
  unit_id: 'text',
  name: 'text',
  roles: 'text[]',
  active: 'boolean',
  deactivation_reason: 'text',
  credential_count: 'int',
  registered_at: 'timestamptz',
  updated_at: 'timestamptz',
});

const CREDENTIALS_SQL = upsertSql('directory_credentials', ['user_id', 'credential_id'], {
  user_id: 'text',
  credential_id: 'text',
  unit_id: 'text',
  token_hash: 'text',
  token_hash_algorithm: 'text',
  label: 'text',
  expires_at: 'timestamptz',
  revoked: 'boolean',
  revocation_reason: 'text',
  issued_at: 'timestamptz',
  revoked_at: 'timestamptz',
});

const SEALS_SQL = upsertSql('directory_seals', ['seal_id'], {
  seal_id: 'text',
  unit_id: 'text',
  name: 'text',
  seal_type: 'text',
  status: 'text',
  status_reason: 'text',
  valid_from: 'timestamptz',
  valid_to: 'timestamptz',
  keeper_user_ids: 'text[]',
  replaced_by: 'text',
  replaces: 'text',
  public_key: 'text',
  key_custody: 'text',
  picture_svg: 'text',
  issued_by: 'text',
  issued_at: 'timestamptz',
  updated_at: 'timestamptz',
});

const USAGE_SQL = `INSERT INTO directory_seal_usage
    (usage_seq, event_id, global_position, seal_id, unit_id, keeper_user_id, document_id, doc_number, sealed_at, key_custody, anomalies, anomalous)
  SELECT usage_seq, event_id, global_position, seal_id, unit_id, keeper_user_id, document_id, doc_number, sealed_at, key_custody, anomalies, anomalous
    FROM json_to_recordset($1::json) AS r(usage_seq bigint, event_id uuid, global_position bigint, seal_id text, unit_id text,
      keeper_user_id text, document_id text, doc_number text, sealed_at timestamptz, key_custody text, anomalies text[], anomalous boolean)`;

const pick = <T>(map: Map<string, T>, keys: Set<string>): T[] => [...keys].map((k) => map.get(k)!);

export async function saveDirectoryState(tx: pg.ClientBase, state: DirectoryState): Promise<void> {
  const writes: [string, object[]][] = [
    [UNITS_SQL, pick(state.units, state.dirty.units)],
    [USERS_SQL, pick(state.users, state.dirty.users)],
    [CREDENTIALS_SQL, pick(state.credentials, state.dirty.credentials)],
    [SEALS_SQL, pick(state.seals, state.dirty.seals)],
    [USAGE_SQL, state.usage],
  ];
  for (const [sql, rows] of writes) await upsertRows(tx, sql, rows as Record<string, unknown>[]);
}
