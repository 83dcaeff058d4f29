import type pg from 'pg';
import type { Role } from '../../schemas/common.ts';
import { refuse } from '../../src/domain/refusal.ts';
import { decodeCursor, keysetConnection, type Connection, type KeyColumn } from '../shared/keyset.ts';
import type { PreviousName, SealStatus } from './rows.ts';
import type { SealAnomaly } from './seal-anomalies.ts';
import { Conditions } from '../shared/conditions.ts';

export type { Page } from '../shared/keyset.ts';

export interface Unit {
  unitId: string;
  name: string;
  shortName: string | null;
  kind: string;
  parentUnitId: string | null;
  fondsCode: string | null;
  organisationCode: string | null;
  docNumberPrefixes: string[];
  active: boolean;
  deactivationReason: string | null;
  /** Oldest first. */
  previousNames: PreviousName[];
  registeredAt: string;
  updatedAt: string;
}

export interface User {
  userId: string;
  unitId: string;
  name: string;
  roles: Role[];
  active: boolean;
  deactivationReason: string | null;
  /** Credentials not revoked (expired ones included); 0 once deactivated. */
  credentialCount: number;
  registeredAt: string;
  updatedAt: string;
}

/** A credential as listed to its owner or an administrator: never its token digest. */
export interface Credential {
  userId: string;
  credentialId: string;
  unitId: string;
  tokenHashAlgorithm: 'sm3' | 'sha256';
  label: string | null;
  expiresAt: string | null;
  revoked: boolean;
  revocationReason: string | null;
  issuedAt: string;
  revokedAt: string | null;
}

export interface Seal {
  sealId: string;
  unitId: string;
  name: string;
  sealType: string;
  status: SealStatus;
  statusReason: string | null;
  validFrom: string;
  validTo: string;
  keeperUserIds: string[];
  replacedBy: string | null;
  replaces: string | null;
  publicKey: string;
  /** server: unlocked with the keeper's passphrase; client: the keeper's USB key. */
  keyCustody: 'server' | 'client';
  /** The seal picture from the seal record (SVG). */
  pictureSvg: string;
  issuedBy: string;
  issuedAt: string;
  updatedAt: string;
}

export interface SealUse {
  usageSeq: number;
  eventId: string;
  globalPosition: number;
  sealId: string;
  unitId: string;
  /** Who sealed (the actor of DocumentSealed). */
  keeperUserId: string;
  documentId: string;
  docNumber: string;
  sealedAt: string;
  keyCustody: 'server' | 'client';
  anomalies: SealAnomaly[];
}

export interface AuthenticatedUser extends User {
  /** The credential the token matched. */
  credentialId: string;
}

type Row = Record<string, any>;

const iso = (v: Date | null): string | null => (v === null ? null : v.toISOString());

const toUnit = (r: Row): Unit => ({
  unitId: r.unit_id,
  name: r.name,
  shortName: r.short_name,
  kind: r.kind,
  parentUnitId: r.parent_unit_id,
  fondsCode: r.fonds_code,
  organisationCode: r.organisation_code,
  docNumberPrefixes: r.doc_number_prefixes,
  active: r.active,
  deactivationReason: r.deactivation_reason,
  previousNames: r.previous_names,
  registeredAt: r.registered_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toUser = (r: Row): User => ({
  userId: r.user_id,
  unitId: r.unit_id,
  name: r.name,
  roles: r.roles,
  active: r.active,
  deactivationReason: r.deactivation_reason,
  credentialCount: Number(r.credential_count),
  registeredAt: r.registered_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toCredential = (r: Row): Credential => ({
  userId: r.user_id,
  credentialId: r.credential_id,
  unitId: r.unit_id,
  tokenHashAlgorithm: r.token_hash_algorithm,
  label: r.label,
  expiresAt: iso(r.expires_at),
  revoked: r.revoked,
  revocationReason: r.revocation_reason,
  issuedAt: r.issued_at.toISOString(),
  revokedAt: iso(r.revoked_at),
});

const toSeal = (r: Row): Seal => ({
  sealId: r.seal_id,
  unitId: r.unit_id,
  name: r.name,
  sealType: r.seal_type,
  status: r.status,
  statusReason: r.status_reason,
  validFrom: r.valid_from.toISOString(),
  validTo: r.valid_to.toISOString(),
  keeperUserIds: r.keeper_user_ids,
  replacedBy: r.replaced_by,
  replaces: r.replaces,
  publicKey: r.public_key,
  keyCustody: r.key_custody,
  pictureSvg: r.picture_svg,
  issuedBy: r.issued_by,
  issuedAt: r.issued_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toSealUse = (r: Row): SealUse => ({
  usageSeq: Number(r.usage_seq),
  eventId: r.event_id,
  globalPosition: Number(r.global_position),
  sealId: r.seal_id,
  unitId: r.unit_id,
  keeperUserId: r.keeper_user_id,
  documentId: r.document_id,
  docNumber: r.doc_number,
  sealedAt: r.sealed_at.toISOString(),
  keyCustody: r.key_custody,
  anomalies: r.anomalies,
});

/** Every unit (or only the active ones), by id. */
export async function units(pool: pg.Pool, opts: { activeOnly?: boolean; limit?: number } = {}): Promise<Unit[]> {
  const { rows } = await pool.query(`SELECT * FROM directory_units ${opts.activeOnly ? 'WHERE active' : ''} ORDER BY unit_id LIMIT $1`, [opts.limit ?? null]);
  return rows.map(toUnit);
}

export async function unit(pool: pg.Pool, unitId: string): Promise<Unit | null> {
  const { rows } = await pool.query('SELECT * FROM directory_units WHERE unit_id = $1', [unitId]);
  return rows[0] ? toUnit(rows[0]) : null;
}

/** The users of one unit, deactivated ones included, by id. */
export async function users(pool: pg.Pool, unitId: string): Promise<User[]> {
  const { rows } = await pool.query('SELECT * FROM directory_users WHERE unit_id = $1 ORDER BY user_id', [unitId]);
  return rows.map(toUser);
}

export async function user(pool: pg.Pool, userId: string): Promise<User | null> {
  const { rows } = await pool.query('SELECT * FROM directory_users WHERE user_id = $1', [userId]);
  return rows[0] ? toUser(rows[0]) : null;
}

/** One user's credentials, revoked ones included, by id. */
export async function credentials(pool: pg.Pool, userId: string): Promise<Credential[]> {
  const { rows } = await pool.query('SELECT * FROM directory_credentials WHERE user_id = $1 ORDER BY credential_id', [userId]);
  return rows.map(toCredential);
}

/**
 * The user a bearer token authenticates at `at` (default now): an active user holding a credential
 * with this digest that is neither revoked nor expired (expiresAt is exclusive). The caller hashes
 * the presented token with the credential's algorithm (sm3 by default). A digest that would match
 * two different users authenticates nobody.
 */
export async function userByTokenHash(pool: pg.Pool, tokenHash: string, opts: { at?: Date } = {}): Promise<AuthenticatedUser | null> {
  const { rows } = await pool.query(
    `SELECT u.*, c.credential_id FROM directory_credentials c
       JOIN directory_users u ON u.user_id = c.user_id
      WHERE c.token_hash = $1 AND NOT c.revoked AND (c.expires_at IS NULL OR c.expires_at > $2) AND u.active
      LIMIT 2`,
    [tokenHash, (opts.at ?? new Date()).toISOString()],
  );
  if (rows.length !== 1) return null;
  return { ...toUser(rows[0]), credentialId: rows[0].credential_id };
}

/** Seals, optionally of one unit and/or in one status, by id. */
export async function seals(pool: pg.Pool, opts: { unitId?: string; status?: SealStatus; limit?: number } = {}): Promise<Seal[]> {
  const { rows } = await pool.query(
    `SELECT * FROM directory_seals
      WHERE ($1::text IS NULL OR unit_id = $1) AND ($2::text IS NULL OR status = $2)
      ORDER BY seal_id LIMIT $3`,
    [opts.unitId ?? null, opts.status ?? null, opts.limit ?? null],
  );
  return rows.map(toSeal);
}

export interface SealUsageOptions {
  sealId?: string;
  unitId?: string;
  /** Inclusive lower bound on sealedAt. */
  from?: string | Date;
  /** Exclusive upper bound on sealedAt. */
  to?: string | Date;
  anomaliesOnly?: boolean;
  /** OLDEST (the default): by sealing time; NEWEST: the latest first. */
  order?: 'OLDEST' | 'NEWEST';
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}

const USAGE_SCOPE = 'directory.seal-usage';
/** By sealing time, ties in feed order: the (…, sealed_at, usage_seq) indexes, read either way. */
const USAGE_KEY: readonly KeyColumn[] = [
  { sql: 'sealed_at', type: 'timestamptz' },
  { sql: 'usage_seq', type: 'bigint' },
];

/** The seal usage log (用印登记) by sealing time (OLDEST first by default, or NEWEST), ties in feed order; both ways (Relay). */
export async function sealUsage(pool: pg.Pool, opts: SealUsageOptions = {}): Promise<Connection<SealUse>> {
  const c = new Conditions();
  if (opts.sealId !== undefined) c.add((n) => `seal_id = ${n}`, opts.sealId);
  if (opts.unitId !== undefined) c.add((n) => `unit_id = ${n}`, opts.unitId);
  c.timeRange('sealed_at', opts.from, opts.to);
  if (opts.anomaliesOnly) c.where.push('anomalous');
  const order = opts.order ?? 'OLDEST';
  if (order !== 'OLDEST' && order !== 'NEWEST') refuse('VALIDATION_FAILED', '排序方式须为 OLDEST 或 NEWEST (unknown order)', { order });
  for (const [name, value] of [['after', opts.after], ['before', opts.before]] as const) {
    if (value != null && Number.isNaN(Date.parse(String(decodeCursor(USAGE_SCOPE, value, ['string', 'number'], name)[0])))) {
      refuse('VALIDATION_FAILED', '分页游标无效，请从第一页重新查询 (invalid cursor)', { [name]: value });
    }
  }
  return keysetConnection(
    pool,
    { scope: USAGE_SCOPE, key: USAGE_KEY, descending: order === 'NEWEST', select: '*', from: 'directory_seal_usage', where: c.where, params: c.params, item: toSealUse, rowMode: 'object' },
    opts,
  );
}
