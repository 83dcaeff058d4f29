import type { z } from 'zod';
import * as C from '../../../schemas/commands/seal.ts';
import type { CommandDefinition } from '../../../schemas/define.ts';
import { sealDecider, sealSummary, type SealContext, type SealSummary } from '../../domain/seal/index.ts';
import { streams } from '../../domain/streams.ts';
import { Refusal } from '../../domain/refusal.ts';
import { generateSm2KeyPair, isValidSm2PublicKey } from '../../integrity/sm2.ts';
import { passphraseProblem, wrapSealKey } from '../../seal/key-wrap.ts';
import { signSealRecord, type SealRecord } from '../../seal/seal-record.ts';
import { handleCommand } from '../handle-command.ts';
import { unlockSealKey } from './seal-keys.ts';
import { actorIsCityOfficeSuperAdmin, loadState, loadUnits, retryPolicy, unitStatusLookup, type CommandDeps } from './deps.ts';
import { outcomeOf, type CommandRoute, type Invocation } from './route.ts';

async function sealContext(deps: CommandDeps, inv: Invocation<unknown>, unitIds: string[], predecessor?: string): Promise<SealContext> {
  const units = await loadUnits(deps.store, unitIds);
  const context: SealContext = {
    actor: inv.actor,
    now: inv.now,
    actorIsCityOfficeSuperAdmin: await actorIsCityOfficeSuperAdmin(deps.store, inv.actor),
    unitStatus: unitStatusLookup(units),
  };
  if (predecessor !== undefined) {
    const summary: SealSummary | undefined = sealSummary((await loadState(deps.store, sealDecider, streams.seal(predecessor))).state);
    context.sealSummaryOf = (id) => (id === predecessor ? summary : undefined);
  }
  return context;
}

type IssueSealData = z.infer<typeof C.IssueSeal.input>;

/**
 * A server-held seal gets its key here: generated, wrapped under the initial passphrase and put in
 * the vault before SealIssued names its public key (a crash between leaves an orphan row that no
 * seal names). The passphrase goes no further than this function.
 */
async function provideKey(deps: CommandDeps, inv: Invocation<IssueSealData>): Promise<IssueSealData> {
  const data = inv.data;
  const { initialPassphrase, ...rest } = data;
  checkKeyInput(data, data.sealId);
  if (data.keyCustody === 'client') return rest;
  // (A repeat of a command already carried out got its first outcome from the command service.)
  // Decide once on current state with a stand-in key, as sealing does before it reserves a number:
  // an issue that will be refused (not the city office, a seal id in use, a past validity) makes
  // no key and leaves nothing in the vault.
  const { state } = await loadState(deps.store, sealDecider, streams.seal(data.sealId));
  const context = await sealContext(deps, inv, [data.unitId], data.replacesSealId);
  sealDecider.decide({ type: 'IssueSeal', data: { ...rest, publicKey: deps.sealIssuer.publicKeyHex } }, state, {
    ...context,
    signSealRecord: (info) => ({ sealInfo: info }) as SealRecord,
  });
  const pair = generateSm2KeyPair();
  await deps.vault.put(await wrapSealKey(pair.privateKeyHex, initialPassphrase!, { sealId: data.sealId, log2N: deps.config.GONGWEN_SEAL_KDF_LOG2N }));
  return { ...rest, publicKey: pair.publicKeyHex };
}

/** Checked before anything is written, also by ReplaceSeal before it retires the old seal. */
function checkKeyInput(key: { keyCustody: string; publicKey?: string; initialPassphrase?: string }, sealId: string): void {
  if (key.keyCustody === 'client') {
    if (!isValidSm2PublicKey(key.publicKey!.toLowerCase())) {
      throw new Refusal('VALIDATION_FAILED', 'USB Key 的公钥不是 SM2 曲线上的有效点，请重新导出公钥 (public key not on the SM2 curve)', { sealId });
    }
    return;
  }
  const weakness = passphraseProblem(key.initialPassphrase!);
  if (weakness) throw new Refusal('VALIDATION_FAILED', `印章初始密码不符合要求：${weakness}`, { sealId });
}

/** The command's own append, of IssueSeal and of ReplaceSeal (its fingerprint comes with `inv`). */
async function issueSeal(deps: CommandDeps, inv: Invocation<IssueSealData>) {
  const data = await provideKey(deps, inv);
  return handleCommand(
    deps.store,
    {
      streamId: streams.seal(data.sealId),
      decider: sealDecider,
      context: async () => ({ ...(await sealContext(deps, inv, [data.unitId], data.replacesSealId)), signSealRecord: (info) => signSealRecord(info, deps.sealIssuer) }),
    },
    { command: { type: 'IssueSeal', data }, ...inv },
    retryPolicy(deps),
  );
}

/** Lifecycle commands on an existing seal: the unit is the seal's own. */
function lifecycle(definition: CommandDefinition): CommandRoute<{ sealId: string }> {
  return {
    definition,
    run: (deps, inv) =>
      handleCommand(
        deps.store,
        {
          streamId: streams.seal(inv.data.sealId),
          decider: sealDecider,
          context: (state) => sealContext(deps, inv, state.status === 'none' ? [] : [state.unitId]),
        },
        { command: { type: definition.type, data: inv.data } as never, ...inv },
        retryPolicy(deps),
      ),
  };
}

type ReplaceSealData = z.infer<typeof C.ReplaceSeal.input>;

/** The successor's initial passphrase is for the vault only, never part of a fingerprint. */
function withoutInitialPassphrase(data: ReplaceSealData): ReplaceSealData {
  const { initialPassphrase: _secret, ...newSeal } = data.newSeal;
  return { ...data, newSeal } as ReplaceSealData;
}

/**
 * 更换: the old seal is marked replaced (a step), then its successor is issued (naming its
 * predecessor) as the command's own append. Two streams, two appends: repeating an interrupted
 * replacement finishes it.
 */
const replaceSeal: CommandRoute<ReplaceSealData> = {
  definition: C.ReplaceSeal,
  fingerprint: withoutInitialPassphrase,
  async run(deps, inv) {
    checkKeyInput(inv.data.newSeal, inv.data.newSealId);
    const data = withoutInitialPassphrase(inv.data);
    const old = await handleCommand(
      deps.store,
      { streamId: streams.seal(inv.data.sealId), decider: sealDecider, context: (state) => sealContext(deps, inv, state.status === 'none' ? [] : [state.unitId]) },
      { command: { type: 'ReplaceSeal', data }, ...inv, step: 'predecessor' },
      retryPolicy(deps),
    );
    const { state } = await loadState(deps.store, sealDecider, streams.seal(inv.data.sealId));
    const unitId = sealSummary(state)!.unitId;
    const issued = await issueSeal(deps, {
      ...inv,
      data: { commandId: inv.commandId, sealId: inv.data.newSealId, unitId, replacesSealId: inv.data.sealId, ...inv.data.newSeal },
    });
    return outcomeOf(old, issued);
  },
};

/** 销毁: the seal's key material is deleted with it (also on a repeat, should a crash have come between). */
const destroySeal: CommandRoute<z.infer<typeof C.DestroySeal.input>> = {
  definition: C.DestroySeal,
  async run(deps, inv) {
    const outcome = await lifecycle(C.DestroySeal).run(deps, inv);
    await deps.vault.destroy(inv.data.sealId);
    return outcome;
  },
  async afterRepeat(deps, inv) {
    await deps.vault.destroy(inv.data.sealId);
  },
};

/**
 * 修改印章密码: the old passphrase must open the key (every wrong one counts toward the lock); the
 * key is rewrapped under the new one with a compare-and-swap on the vault row, then
 * SealPassphraseChanged records that it happened (never the passphrases). A crash between the two
 * leaves the change made but unrecorded: trying the new passphrase without counting the attempt
 * would make this command a free guessing oracle, so no such "already changed" shortcut exists.
 */
const changeSealPassphrase: CommandRoute<z.infer<typeof C.ChangeSealPassphrase.input>> = {
  definition: C.ChangeSealPassphrase,
  // Passphrases stay out of the stored fingerprint: an unsalted digest of one invites guessing.
  fingerprint: ({ commandId, sealId }) => ({ commandId, sealId }),
  async run(deps, inv) {
    const { sealId, oldPassphrase, newPassphrase } = inv.data;
    const command = { type: 'ChangeSealPassphrase' as const, data: inv.data };
    const context = (): SealContext => ({ actor: inv.actor, now: inv.now, actorIsCityOfficeSuperAdmin: false, unitStatus: () => undefined });
    const { state } = await loadState(deps.store, sealDecider, streams.seal(sealId));
    sealDecider.decide(command, state, context());
    const seal = sealSummary(state)!;
    const weakness = passphraseProblem(newPassphrase);
    if (weakness) throw new Refusal('VALIDATION_FAILED', `新的印章密码不符合要求：${weakness}`, { sealId });

    const { privateKeyHex, wrapped } = await unlockSealKey(deps, seal, oldPassphrase);
    const next = await wrapSealKey(privateKeyHex, newPassphrase, { sealId, log2N: deps.config.GONGWEN_SEAL_KDF_LOG2N });
    if (!(await deps.vault.replace(wrapped, next))) {
      throw new Refusal('CONFLICT', `印章「${seal.name}」的密码刚被他人修改，请用新密码重试 (the passphrase was changed meanwhile)`, { sealId });
    }
    return handleCommand(
      deps.store,
      { streamId: streams.seal(sealId), decider: sealDecider, context },
      { command, ...inv },
      retryPolicy(deps),
    );
  },
};

export const sealRoutes: Record<string, CommandRoute> = {
  IssueSeal: {
    definition: C.IssueSeal,
    fingerprint: ({ initialPassphrase: _secret, ...rest }: IssueSealData) => rest,
    run: (deps, inv) => issueSeal(deps, inv),
  },
  ChangeSealPassphrase: changeSealPassphrase,
  ReplaceSeal: replaceSeal,
  RevokeSeal: lifecycle(C.RevokeSeal),
  DestroySeal: destroySeal,
};
