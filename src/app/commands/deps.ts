import type pg from 'pg';
import type { Config } from '../../config/config.ts';
import { fold, type Decider } from '../../domain/decider.ts';
import { unitDecider, userDecider, type UnitState, type UserState } from '../../domain/directory/index.ts';
import type { UnitStatus } from '../../domain/directory/unit-status.ts';
import { streams } from '../../domain/streams.ts';
import type { EventStore, StreamRead } from '../../eventstore/port.ts';
import type { RetryPolicy } from '../handle-command.ts';
import type { SealKeyVault } from '../../seal/seal-key-vault.ts';
import type { LedgerKey } from '../../integrity/ledger-key.ts';
import type { Supervision } from '../../supervision/supervision.ts';

/** What command handlers need: the store, the rules from configuration, and the clock. */
export interface CommandDeps {
  store: EventStore;
  pool: pg.Pool;
  config: Pick<
    Config,
    | 'GONGWEN_ATTACHMENT_LIMIT_BYTES'
    | 'GONGWEN_TIMEZONE'
    | 'GONGWEN_COMMAND_MAX_ATTEMPTS'
    | 'GONGWEN_SEAL_KDF_LOG2N'
    | 'GONGWEN_SEAL_MAX_WRONG_PASSPHRASES'
    | 'GONGWEN_SEAL_LOCK_MINUTES'
    | 'GONGWEN_ARCHIVAL_CODE_FORMS'
  >;
  /** Server-held seal keys, encrypted under their keepers' passphrases. */
  vault: SealKeyVault;
  /** The issuer (制章者) that signs seal records: the ledger's SM2 key. */
  sealIssuer: Pick<LedgerKey, 'publicKeyHex' | 'keyId' | 'sign'>;
  /** 电子监察: the working-day calendar and the deadline policy in force. */
  supervision: Supervision;
  now(): Date;
}

export const retryPolicy = (deps: CommandDeps): RetryPolicy => ({ maxAttempts: deps.config.GONGWEN_COMMAND_MAX_ATTEMPTS });

export async function loadState<S, E>(store: EventStore, decider: Pick<Decider<S, unknown, E, never>, 'initialState' | 'evolve'>, streamId: string): Promise<{ state: S; read: StreamRead }> {
  const read = await store.readStream(streamId);
  return { state: fold(decider, read.events as unknown as E[]), read };
}

export const loadUnit = async (store: EventStore, unitId: string): Promise<UnitState> =>
  (await loadState(store, unitDecider, streams.unit(unitId))).state;

export const loadUser = async (store: EventStore, userId: string): Promise<UserState> =>
  (await loadState(store, userDecider, streams.user(userId))).state;

/**
 * The directory entries a decision will look up, loaded before it runs (deciders are synchronous
 * and pure, so lookups are answered from this snapshot).
 */
export async function loadUnits(store: EventStore, unitIds: Iterable<string>): Promise<Map<string, UnitState>> {
  const ids = [...new Set(unitIds)];
  const states = await Promise.all(ids.map((id) => loadUnit(store, id)));
  return new Map(ids.map((id, i) => [id, states[i]!]));
}

export function unitStatusLookup(units: Map<string, UnitState>): (unitId: string) => UnitStatus | undefined {
  return (unitId) => {
    const u = units.get(unitId);
    if (!u) throw new Error(`unit ${unitId} was not loaded before the decision`);
    return u.status === 'none' ? undefined : u.status;
  };
}

/** The city office's super administrators manage seals and units; UNIT_ADMINs only their own users. */
export async function actorIsCityOfficeSuperAdmin(store: EventStore, actor: { role: string; unitId: string }): Promise<boolean> {
  if (actor.role !== 'SUPER_ADMIN') return false;
  const unit = await loadUnit(store, actor.unitId);
  return unit.status === 'active' && unit.kind === 'city-office';
}

/**
 * Whether any stream of a category exists yet (installation: the first unit and first super
 * administrator are registered by the ledger itself, and only then).
 */
export async function categoryHasStreams(pool: pg.Pool, category: string): Promise<boolean> {
  const { rows } = await pool.query<{ exists: boolean }>(`SELECT EXISTS (SELECT 1 FROM streams WHERE stream_id LIKE $1) AS exists`, [`${category}-%`]);
  return rows[0]!.exists;
}
