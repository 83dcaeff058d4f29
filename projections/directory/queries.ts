import type pg from 'pg';
import type { Role } from '../../schemas/common.ts';
import { refuse } from '../../src/domain/refusal.ts';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from '../shared/keyset.ts';
import type { PreviousName, SealStatus } from './rows.ts';
import type { SealAnomaly } from './seal-anomalies.ts';

export type { Page } from '../shared/keyset.ts';

export const DEFAULT_PAGE_SIZE = 50;

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
  first?: number;
  after?: string;
}

/** An optional time bound given as ISO text or a Date, checked before it reaches SQL. */
function timeBound(value: string | Date | undefined, name: 'from' | 'to'): string | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) refuse('VALIDATION_FAILED', `时间范围「${name}」须为带时区的 ISO 8601 时间 (invalid ${name})`, { [name]: String(value) });
  return new Date(ms).toISOString();
}

const USAGE_SCOPE = 'directory.seal-usage';

/** The seal usage log (用印登记) by sealing time, ties in feed order. */
export async function sealUsage(pool: pg.Pool, opts: SealUsageOptions = {}): Promise<Page<SealUse>> {
  const size = pageSize(opts.first ?? DEFAULT_PAGE_SIZE);
  let cursor: [string, number] | null = null;
  if (opts.after !== undefined) {
    cursor = decodeCursor(USAGE_SCOPE, opts.after, ['string', 'number']) as [string, number];
    if (Number.isNaN(Date.parse(cursor[0]))) refuse('VALIDATION_FAILED', '分页游标无效，请从第一页重新查询 (invalid cursor)', { after: opts.after });
  }
  const { rows } = await pool.query(
    `SELECT * FROM directory_seal_usage
      WHERE ($1::text IS NULL OR seal_id = $1)
        AND ($2::text IS NULL OR unit_id = $2)
        AND ($3::timestamptz IS NULL OR sealed_at >= $3::timestamptz)
        AND ($4::timestamptz IS NULL OR sealed_at < $4::timestamptz)
        AND (NOT $5::boolean OR anomalous)
        AND ($6::timestamptz IS NULL OR (sealed_at, usage_seq) > ($6::timestamptz, $7::bigint))
      ORDER BY sealed_at, usage_seq
      LIMIT $8`,
    [
      opts.sealId ?? null,
      opts.unitId ?? null,
      timeBound(opts.from, 'from'),
      timeBound(opts.to, 'to'),
      opts.anomaliesOnly ?? false,
      cursor?.[0] ?? null,
      cursor?.[1] ?? 0,
      size + 1,
    ],
  );
  return toPage(rows, size, toSealUse, (r) => encodeCursor(USAGE_SCOPE, [r.sealed_at.toISOString(), Number(r.usage_seq)]));
}
