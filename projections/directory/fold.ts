import type { z } from 'zod';
import type { Role } from '../../schemas/common.ts';
import type * as D from '../../schemas/events/directory.ts';
import type { DocumentSealed } from '../../schemas/events/document.ts';
import type * as S from '../../schemas/events/seal.ts';
import { inRoleOrder } from '../../src/domain/directory/user/state.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { credentialKey, type CredentialRow, type SealRow, type SealUsageRow, type UnitRow, type UserRow } from './rows.ts';
import { sealAnomalies } from './seal-anomalies.ts';

type Data<E extends { data: z.ZodType }> = z.infer<E['data']>;

/**
 * The rows a batch touches, loaded before the fold and written back after it. `dirty` sets name
 * the rows to write; rows are changed in place.
 */
export interface DirectoryState {
  units: Map<string, UnitRow>;
  users: Map<string, UserRow>;
  /** Every credential of the users whose credentials the batch touches (by credentialKey). */
  credentials: Map<string, CredentialRow>;
  seals: Map<string, SealRow>;
  usage: SealUsageRow[];
  dirty: { units: Set<string>; users: Set<string>; credentials: Set<string>; seals: Set<string> };
  /** The usage_seq of the last usage row written so far. */
  lastUsageSeq: number;
}

/** The keys of the rows a batch needs loaded. */
export function touchedKeys(events: readonly RecordedEvent[]): { units: string[]; users: string[]; credentialUsers: string[]; seals: string[] } {
  const units = new Set<string>();
  const users = new Set<string>();
  const credentialUsers = new Set<string>();
  const seals = new Set<string>();
  for (const e of events) {
    const d = e.data as { unitId?: string; userId?: string; sealId?: string };
    switch (e.type) {
      case 'UnitRegistered':
      case 'UnitRenamed':
      case 'UnitDeactivated':
      case 'DocNumberPrefixAdded':
        units.add(d.unitId!);
        break;
      case 'CredentialIssued':
      case 'CredentialRevoked':
      case 'UserDeactivated':
        credentialUsers.add(d.userId!);
        users.add(d.userId!);
        break;
      case 'UserRegistered':
      case 'RoleGranted':
      case 'RoleRevoked':
        users.add(d.userId!);
        break;
      case 'SealIssued':
      case 'SealReplaced':
      case 'SealRevoked':
      case 'SealDestroyed':
      case 'DocumentSealed':
        seals.add(d.sealId!);
        break;
    }
  }
  return { units: [...units], users: [...users], credentialUsers: [...credentialUsers], seals: [...seals] };
}

/** Applies the batch's events, in feed order, to the loaded rows. */
export function foldDirectory(state: DirectoryState, events: readonly RecordedEvent[]): void {
  for (const e of events) foldOne(state, e);
}

function foldOne(state: DirectoryState, e: RecordedEvent): void {
  const at = e.occurredAt;
  const unit = (id: string, change: (u: UnitRow) => void) => {
    const u = state.units.get(id);
    // An event for a unit never registered cannot come from the domain; `gongwen verify` and the
    // audit report broken streams, the directory just does not invent the row.
    if (!u) return;
    change(u);
    u.updated_at = at;
    state.dirty.units.add(id);
  };
  const user = (id: string, change: (u: UserRow) => void) => {
    const u = state.users.get(id);
    if (!u) return;
    change(u);
    u.updated_at = at;
    state.dirty.users.add(id);
  };
  const seal = (id: string, change: (s: SealRow) => void) => {
    const s = state.seals.get(id);
    if (!s) return;
    change(s);
    s.updated_at = at;
    state.dirty.seals.add(id);
  };

  switch (e.type) {
    case 'UnitRegistered': {
      const d = e.data as Data<typeof D.UnitRegistered>;
      state.units.set(d.unitId, {
        unit_id: d.unitId,
        name: d.name,
        short_name: d.shortName ?? null,
        kind: d.kind,
        parent_unit_id: d.parentUnitId ?? null,
        fonds_code: d.fondsCode ?? null,
        organisation_code: d.organisationCode ?? null,
        doc_number_prefixes: [...d.docNumberPrefixes],
        active: true,
        deactivation_reason: null,
        previous_names: [],
        registered_at: at,
        updated_at: at,
      });
      state.dirty.units.add(d.unitId);
      return;
    }
    case 'UnitRenamed': {
      const d = e.data as Data<typeof D.UnitRenamed>;
      // The decider always states the short name the unit keeps; absent means it has none.
      return unit(d.unitId, (u) => {
        u.previous_names = [...u.previous_names, { name: d.previousName, ...(d.previousShortName !== undefined && { shortName: d.previousShortName }), until: at }];
        u.name = d.name;
        u.short_name = d.shortName ?? null;
      });
    }
    case 'UnitDeactivated': {
      const d = e.data as Data<typeof D.UnitDeactivated>;
      return unit(d.unitId, (u) => {
        u.active = false;
        u.deactivation_reason = d.reason;
      });
    }
    case 'DocNumberPrefixAdded': {
      const d = e.data as Data<typeof D.DocNumberPrefixAdded>;
      return unit(d.unitId, (u) => {
        if (!u.doc_number_prefixes.includes(d.prefix)) u.doc_number_prefixes = [...u.doc_number_prefixes, d.prefix];
      });
    }
    case 'UserRegistered': {
      const d = e.data as Data<typeof D.UserRegistered>;
      state.users.set(d.userId, {
        user_id: d.userId,
        unit_id: d.unitId,
        name: d.name,
        roles: inRoleOrder(d.roles),
        active: true,
        deactivation_reason: null,
        credential_count: 0,
        registered_at: at,
        updated_at: at,
      });
      state.dirty.users.add(d.userId);
      return;
    }
    case 'RoleGranted': {
      const d = e.data as Data<typeof D.RoleGranted>;
      return user(d.userId, (u) => {
        u.roles = inRoleOrder([...(u.roles as Role[]), d.role]);
      });
    }
    case 'RoleRevoked': {
      const d = e.data as Data<typeof D.RoleRevoked>;
      return user(d.userId, (u) => {
        u.roles = u.roles.filter((r) => r !== d.role);
      });
    }
    case 'UserDeactivated': {
      const d = e.data as Data<typeof D.UserDeactivated>;
      return user(d.userId, (u) => {
        u.active = false;
        u.deactivation_reason = d.reason;
        u.credential_count = 0;
      });
    }
    case 'CredentialIssued': {
      const d = e.data as Data<typeof D.CredentialIssued>;
      const key = credentialKey(d.userId, d.credentialId);
      state.credentials.set(key, {
        user_id: d.userId,
        credential_id: d.credentialId,
        unit_id: d.unitId,
        token_hash: d.tokenHash,
        token_hash_algorithm: d.tokenHashAlgorithm,
        label: d.label ?? null,
        expires_at: d.expiresAt === undefined ? null : new Date(d.expiresAt).toISOString(),
        revoked: false,
        revocation_reason: null,
        issued_at: at,
        revoked_at: null,
      });
      state.dirty.credentials.add(key);
      return user(d.userId, (u) => {
        u.credential_count = credentialCount(state, u);
      });
    }
    case 'CredentialRevoked': {
      const d = e.data as Data<typeof D.CredentialRevoked>;
      const key = credentialKey(d.userId, d.credentialId);
      const c = state.credentials.get(key);
      if (c) {
        c.revoked = true;
        c.revocation_reason = d.reason ?? null;
        c.revoked_at = at;
        state.dirty.credentials.add(key);
      }
      return user(d.userId, (u) => {
        u.credential_count = credentialCount(state, u);
      });
    }
    case 'SealIssued': {
      const d = e.data as Data<typeof S.SealIssued>;
      state.seals.set(d.sealId, {
        seal_id: d.sealId,
        unit_id: d.unitId,
        name: d.name,
        seal_type: d.sealType,
        status: 'active',
        status_reason: null,
        valid_from: new Date(d.validFrom).toISOString(),
        valid_to: new Date(d.validTo).toISOString(),
        keeper_user_ids: [...d.keeperUserIds],
        replaced_by: null,
        replaces: d.replacesSealId ?? null,
        public_key: d.publicKey,
        key_custody: d.keyCustody,
        picture_svg: Buffer.from(d.sealRecord.sealInfo.picture.data, 'base64').toString('utf8'),
        issued_by: d.issuedBy,
        issued_at: at,
        updated_at: at,
      });
      state.dirty.seals.add(d.sealId);
      return;
    }
    case 'SealReplaced': {
      const d = e.data as Data<typeof S.SealReplaced>;
      return seal(d.sealId, (s) => {
        s.status = 'replaced';
        s.replaced_by = d.replacedBy;
        s.status_reason = d.reason;
      });
    }
    case 'SealRevoked': {
      const d = e.data as Data<typeof S.SealRevoked>;
      return seal(d.sealId, (s) => {
        s.status = 'revoked';
        s.status_reason = d.reason;
      });
    }
    case 'SealDestroyed': {
      const d = e.data as Data<typeof S.SealDestroyed>;
      return seal(d.sealId, (s) => {
        s.status = 'destroyed';
        s.status_reason = d.reason;
      });
    }
    case 'DocumentSealed': {
      const d = e.data as Data<typeof DocumentSealed>;
      const s = state.seals.get(d.sealId);
      const sealedAt = new Date(d.sealedAt).toISOString();
      // The keeper is who the ledger recorded as acting, not a name the payload could carry.
      const keeper = e.actor.userId;
      const anomalies = sealAnomalies(
        { unitId: d.issuerUnitId, keeperUserId: keeper, sealedAt },
        s && { sealId: s.seal_id, unitId: s.unit_id, status: s.status, validFrom: s.valid_from, validTo: s.valid_to, keeperUserIds: s.keeper_user_ids },
      );
      state.lastUsageSeq += 1;
      state.usage.push({
        usage_seq: state.lastUsageSeq,
        event_id: e.eventId,
        global_position: e.globalPosition,
        seal_id: d.sealId,
        unit_id: d.issuerUnitId,
        keeper_user_id: keeper,
        document_id: d.documentId,
        doc_number: d.docNumber,
        sealed_at: sealedAt,
        key_custody: d.keyCustody,
        anomalies,
        anomalous: anomalies.length > 0,
      });
      return;
    }
  }
}

/** Credentials that can still authenticate in principle (expiry aside): none once the user is deactivated. */
function credentialCount(state: DirectoryState, u: UserRow): number {
  if (!u.active) return 0;
  let n = 0;
  for (const c of state.credentials.values()) if (c.user_id === u.user_id && !c.revoked) n++;
  return n;
}
