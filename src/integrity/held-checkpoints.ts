import { Refusal } from '../domain/refusal.ts';
import { MerkleLogCorruptError, verifyCheckpoint, verifyConsistencyProof, type MerkleLog, type SignedCheckpoint } from './merkle-log.ts';

/**
 * Checkpoints an inspector kept outside the ledger (`gongwen checkpoint --out FILE`), checked
 * against the ledger as it is today: each must be signed by the trusted key, and today's latest
 * signed checkpoint must extend it — proven with the RFC 9162 consistency proof the log gives,
 * checked against the root the inspector holds, not the one the database now claims. A database
 * rolled back to an older copy, a tail cut off, or a history rewritten after the checkpoint all
 * fail here, naming the checkpoint, even when the database agrees with itself.
 */
export interface HeldCheckpoint {
  /** Where it came from: "file:line". */
  source: string;
  checkpoint: SignedCheckpoint;
}

export type HeldCheckpointProblem = 'signature_invalid' | 'rolled_back' | 'not_extended' | 'ledger_unsigned';

export interface HeldCheckpointResult {
  source: string;
  treeSize: number;
  rootHash: string;
  createdAt: string;
  ok: boolean;
  problem?: HeldCheckpointProblem;
  detail?: string;
}

export interface HeldCheckpointReport {
  ok: boolean;
  /** Today's latest signed checkpoint, the one each held checkpoint was proven against. */
  against: Pick<SignedCheckpoint, 'treeSize' | 'rootHash' | 'createdAt'> | null;
  results: HeldCheckpointResult[];
}

const PROBLEM_TEXT: Record<HeldCheckpointProblem, { zh: string; en: string }> = {
  signature_invalid: { zh: '所持检查点的签名不是受信任的账本公钥所签', en: 'the held checkpoint is not signed by the trusted ledger key' },
  rolled_back: { zh: '账本比所持检查点还短：数据库被回滚到旧副本或尾部被截断', en: 'the ledger is shorter than the held checkpoint: rolled back to an older copy or its tail cut' },
  not_extended: { zh: '今天的账本不是所持检查点的延续：检查点之后的历史被改写', en: 'today’s ledger does not extend the held checkpoint: history was rewritten' },
  ledger_unsigned: { zh: '账本没有受信任公钥签名的最新检查点，无法出具一致性证明', en: 'the ledger has no latest checkpoint signed by the trusted key to prove against' },
};

export const heldCheckpointProblemText = (p: HeldCheckpointProblem) => PROBLEM_TEXT[p];

/**
 * Reads checkpoints from the text of a file: JSON Lines (what `--out` appends), or the pretty
 * JSON `gongwen checkpoint` prints (one object, several in a row, or an array).
 */
export function parseCheckpointFile(text: string, file: string): HeldCheckpoint[] {
  const held: HeldCheckpoint[] = [];
  const lines = text.split('\n');
  let buffer = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    if (buffer === '' && lines[i]!.trim() === '') continue;
    if (buffer === '') startLine = i + 1;
    buffer += `${lines[i]}\n`;
    let value: unknown;
    try {
      value = JSON.parse(buffer);
    } catch {
      continue; // an object spread over several lines: read on
    }
    for (const [k, item] of (Array.isArray(value) ? value : [value]).entries()) {
      const source = `${file}:${startLine}${Array.isArray(value) ? `[${k}]` : ''}`;
      held.push({ source, checkpoint: asCheckpoint(item, source) });
    }
    buffer = '';
  }
  if (buffer.trim() !== '') throw new Error(`${file}:${startLine}: 不是完整的 JSON 检查点 (not a complete JSON checkpoint)`);
  if (held.length === 0) throw new Error(`${file}: 文件中没有检查点 (no checkpoint in the file)`);
  return held;
}

function asCheckpoint(value: unknown, source: string): SignedCheckpoint {
  const v = value as Partial<Record<keyof SignedCheckpoint, unknown>> | null;
  const ok =
    v !== null &&
    typeof v === 'object' &&
    typeof v.treeSize === 'number' &&
    typeof v.rootHash === 'string' &&
    typeof v.createdAt === 'string' &&
    typeof v.signature === 'string';
  if (!ok) throw new Error(`${source}: 不是检查点，须有 treeSize、rootHash、createdAt、signature (not a checkpoint)`);
  return {
    treeSize: v.treeSize as number,
    rootHash: v.rootHash as string,
    createdAt: v.createdAt as string,
    keyId: typeof v.keyId === 'string' ? v.keyId : '',
    publicKey: typeof v.publicKey === 'string' ? v.publicKey : '',
    signature: v.signature as string,
  };
}

export async function checkHeldCheckpoints(log: MerkleLog, held: readonly HeldCheckpoint[], publicKeyHex: string): Promise<HeldCheckpointReport> {
  const trusted = publicKeyHex.toLowerCase();
  const latest = await log.latestCheckpoint();
  const latestTrusted = latest !== null && verifyCheckpoint(latest, trusted);
  const results: HeldCheckpointResult[] = [];
  for (const { source, checkpoint: c } of held) {
    const base = { source, treeSize: c.treeSize, rootHash: c.rootHash, createdAt: c.createdAt };
    const fail = (problem: HeldCheckpointProblem, detail: string) => results.push({ ...base, ok: false, problem, detail });
    if (!verifyCheckpoint(c, trusted)) {
      fail('signature_invalid', `tree size ${c.treeSize}, root ${c.rootHash}: the signature does not verify with the trusted key`);
    } else if (!latest || !latestTrusted) {
      fail('ledger_unsigned', latest ? `the ledger's latest checkpoint (tree size ${latest.treeSize}) is not signed by the trusted key` : 'the ledger has no signed checkpoint at all');
    } else if (latest.treeSize < c.treeSize) {
      fail('rolled_back', `held: tree size ${c.treeSize} of ${c.createdAt}; the ledger's latest signed checkpoint has tree size ${latest.treeSize} (${latest.createdAt})`);
    } else {
      let proven = false;
      let why = '';
      try {
        const proof = await log.consistencyProof(c.treeSize, latest.treeSize);
        // The proof is checked against the root the inspector holds, whatever the database says.
        proven = verifyConsistencyProof({ ...proof, fromRoot: c.rootHash, fromCheckpoint: c, toRoot: latest.rootHash, toCheckpoint: latest }, trusted);
        why = `the consistency proof ${c.treeSize} → ${latest.treeSize} (${proof.proof.length} hashes) does not lead from the held root ${c.rootHash} to today's signed root ${latest.rootHash}`;
      } catch (error) {
        if (!(error instanceof MerkleLogCorruptError) && !(error instanceof Refusal)) throw error;
        why = `no consistency proof ${c.treeSize} → ${latest.treeSize} can be made from the stored log: ${error.message}`;
      }
      if (proven) results.push({ ...base, ok: true });
      else fail('not_extended', why);
    }
  }
  return {
    ok: results.every((r) => r.ok),
    against: latest && latestTrusted ? { treeSize: latest.treeSize, rootHash: latest.rootHash, createdAt: latest.createdAt } : null,
    results,
  };
}

export function formatHeldCheckpoints(r: HeldCheckpointReport): string {
  const lines = [
    r.ok
      ? `所持检查点校验通过：今天的账本是每个检查点的延续 (held checkpoints verified: today's ledger extends each of them)`
      : `所持检查点校验未通过 (held checkpoints FAILED: ${r.results.filter((x) => !x.ok).length} of ${r.results.length})`,
    r.against
      ? `  对照 against:        账本最新检查点 树大小 tree size ${r.against.treeSize}，${r.against.createdAt}，树根 root ${r.against.rootHash}`
      : '  对照 against:        账本没有受信任的已签名检查点 (no trusted signed checkpoint in the ledger)',
  ];
  for (const x of r.results) {
    lines.push(`  ${x.ok ? '✓' : '✗'} ${x.source}  树大小 tree size ${x.treeSize}，${x.createdAt}`);
    if (!x.ok) {
      const t = PROBLEM_TEXT[x.problem!];
      lines.push(`      问题 problem: ${t.zh}`, `                    (${t.en})`, `      详情 detail:  ${x.detail}`);
    }
  }
  return lines.join('\n');
}
