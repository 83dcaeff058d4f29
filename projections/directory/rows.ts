import type { SealAnomaly } from './seal-anomalies.ts';

/**
 * The directory's rows as the projection holds them in memory while folding a batch: the table's
 * columns, timestamps as ISO text (they go back through jsonb_to_recordset).
 */

export interface PreviousName {
  name: string;
  shortName?: string;
  /** When the unit stopped using it (the rename's occurredAt). */
  until: string;
}

export interface UnitRow {
  unit_id: string;
  name: string;
  short_name: string | null;
  kind: string;
  parent_unit_id: string | null;
  fonds_code: string | null;
  organisation_code: string | null;
  doc_number_prefixes: string[];
  active: boolean;
  deactivation_reason: string | null;
  previous_names: PreviousName[];
  registered_at: string;
  updated_at: string;
}

export interface UserRow {
  user_id: string;
  unit_id: string;
  name: string;
  roles: string[];
  active: boolean;
  deactivation_reason: string | null;
  credential_count: number;
  registered_at: string;
  updated_at: string;
}

export interface CredentialRow {
  user_id: string;
  credential_id: string;
  unit_id: string;
  token_hash: string;
  token_hash_algorithm: string;
  label: string | null;
  expires_at: string | null;
  revoked: boolean;
  revocation_reason: string | null;
  issued_at: string;
  revoked_at: string | null;
}

export type SealStatus = 'active' | 'revoked' | 'replaced' | 'destroyed';

export interface SealRow {
  seal_id: string;
  unit_id: string;
  name: string;
  seal_type: string;
  status: SealStatus;
  status_reason: string | null;
  valid_from: string;
  valid_to: string;
  keeper_user_ids: string[];
  replaced_by: string | null;
  replaces: string | null;
  public_key: string;
  key_custody: 'server' | 'client';
  picture_svg: string;
  issued_by: string;
  issued_at: string;
  updated_at: string;
}

export interface SealUsageRow {
  usage_seq: number;
  event_id: string;
  global_position: number;
  seal_id: string;
  unit_id: string;
  keeper_user_id: string;
  document_id: string;
  doc_number: string;
  sealed_at: string;
  key_custody: 'server' | 'client';
  anomalies: SealAnomaly[];
  anomalous: boolean;
}

export const credentialKey = (userId: string, credentialId: string): string => `${userId}\u0000${credentialId}`;
