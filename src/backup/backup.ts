import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { allProjections } from '../../projections/index.ts';
import { sm3Hex } from '../integrity/sm3.ts';
import type { LedgerKey } from '../integrity/ledger-key.ts';
import { createHash } from 'node:crypto';

/**
 * A backup of the ledger's own tables: everything the read models cannot give back — the events,
 * the streams and commands (idempotency and command steps), the Merkle log and its signed
 * checkpoints, attachment bytes, the seal key vault, the security log, the jobs' bookkeeping
 * (supervision, dossier exports). The read models are rebuilt from the events on restore, never
 * copied: a restored read model could disagree with the events it claims to come from.
 *
 * One REPEATABLE READ transaction reads every table, so the files are one consistent cut of a
 * ledger that keeps serving. Each table is one COPY text file; the manifest records every file's
 * SM3, its rows and columns, and the manifest's own SM3 sits beside it, so a restore checks every
 * byte before it writes anything.
 *
 * Transaction ids are not portable: the feed order is (transaction_id, global_position) and a new
 * cluster counts its transaction ids from its own start. The backup writes each xid8 as its dense
 * rank among the events' transaction ids (1, 2, …; order kept), and the restore turns ranks back
 * into ids below every transaction the restored ledger will ever run.
 */
export const BACKUP_FORMAT = 'gongwen-backup/v1';
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_DIGEST_FILE = 'manifest.json.sm3';

/** Tables that are not the ledger's record: migration bookkeeping and the read models' checkpoints. */
const NOT_BACKED_UP = new Set(['schema_migrations', 'projection_checkpoints']);

export interface BackupTable {
  name: string;
  file: string;
  columns: string[];
  /** Columns written as transaction ranks (xid8 columns) or as feed positions with a rank (pg:<rank>:<gp>). */
  rankColumns: string[];
  positionColumns: string[];
  rows: number;
  bytes: number;
  sm3: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  /** Distinct transaction ids among the events: the ranks run 1..transactions. */
  transactions: number;
  events: number;
  migrations: { component: string; version: number; checksum: string }[];
  /** The newest signed checkpoint in the cut (null on a ledger that never signed one). */
  latestCheckpoint: { treeSize: number; rootHash: string; createdAt: string; keyId: string; publicKey: string; signature: string } | null;
  tables: BackupTable[];
}

/** A backup that must not be restored: which file, and why. */
export class BackupRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupRefused';
  }
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
}

/** The ledger's own tables in the current schema, each with its columns in order. */
async function ownedTables(client: pg.ClientBase): Promise<Map<string, ColumnRow[]>> {
  const readModels = new Set(allProjections.flatMap((p) => p.tables));
  const { rows } = await client.query<ColumnRow>(
    `SELECT c.table_name, c.column_name, c.udt_name AS data_type
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, ColumnRow[]>();
  for (const r of rows) {
    if (NOT_BACKED_UP.has(r.table_name) || readModels.has(r.table_name)) continue;
    if (!tables.has(r.table_name)) tables.set(r.table_name, []);
    tables.get(r.table_name)!.push(r);
  }
  return tables;
}

/** Positions in feed order kept as text ('pg:<xid>:<gp>') in these columns. */
const POSITION_COLUMNS: Record<string, string[]> = { reactor_checkpoints: ['position'] };

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The SELECT that writes a table with transaction ids as ranks. */
function selectFor(table: string, columns: ColumnRow[]): { sql: string; rankColumns: string[]; positionColumns: string[] } {
  const rankColumns: string[] = [];
  const positionColumns: string[] = [];
  const rankOf = (expr: string) => `(SELECT count(DISTINCT r.transaction_id) FROM events r WHERE r.transaction_id <= ${expr})`;
  const exprs = columns.map((c) => {
    if (table === 'events' && c.column_name === 'transaction_id') {
      rankColumns.push(c.column_name);
      return `dense_rank() OVER (ORDER BY transaction_id) AS transaction_id`;
    }
    if (c.data_type === 'xid8') {
      rankColumns.push(c.column_name);
      return `${rankOf(q(c.column_name))} AS ${q(c.column_name)}`;
    }
    if (POSITION_COLUMNS[table]?.includes(c.column_name)) {
      positionColumns.push(c.column_name);
      const m = `regexp_match(${q(c.column_name)}, '^pg:(\\d+):(\\d+)$')`;
      return `CASE WHEN ${m} IS NULL THEN ${q(c.column_name)} ELSE 'pg:' || ${rankOf(`(${m})[1]::xid8`)} || ':' || (${m})[2] END AS ${q(c.column_name)}`;
    }
    return q(c.column_name);
  });
  const order = table === 'events' ? ' ORDER BY global_position' : '';
  return { sql: `SELECT ${exprs.join(', ')} FROM ${q(table)}${order}`, rankColumns, positionColumns };
}

/** Counts lines (= rows in COPY text format, where newlines inside values are escaped) and hashes the bytes. */
class Tally extends Transform {
  rows = 0;
  bytes = 0;
  private readonly hash = createHash('sm3');
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++;
    this.hash.update(chunk);
    done(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Writes a backup of the ledger into `dir` (created; must be empty) from one snapshot. The ledger
 * may keep serving meanwhile.
 */
export async function backupLedger(pool: pg.Pool, dir: string): Promise<BackupManifest> {
  await mkdir(join(dir, 'tables'), { recursive: true });
  const existing = (await readdir(dir)).filter((f) => f !== 'tables');
  if (existing.length || (await readdir(join(dir, 'tables'))).length) throw new BackupRefused(`${dir}: 备份目录须为空 (the backup folder must be empty)`);
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Bulk reads of a large ledger take longer than a request may.
    await client.query('SET LOCAL statement_timeout = 0');
    const tables = await ownedTables(client);
    const { rows: counts } = await client.query<{ transactions: number; events: number }>(
      'SELECT count(DISTINCT transaction_id)::int AS transactions, count(*)::int AS events FROM events',
    );
    const { rows: migrations } = await client.query<{ component: string; version: number; checksum: string }>(
      'SELECT component, version, checksum FROM schema_migrations ORDER BY component, version',
    );
    const { rows: cps } = await client.query<{ tree_size: number; root_hash: string; created_at: Date; key_id: string; public_key: string; signature: string }>(
      'SELECT tree_size, root_hash, created_at, key_id, public_key, signature FROM merkle_checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    const written: BackupTable[] = [];
    for (const [name, columns] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
      const { sql, rankColumns, positionColumns } = selectFor(name, columns);
      const file = join('tables', `${name}.copy`);
      const tally = new Tally();
      await pipeline(client.query(copyTo(`COPY (${sql}) TO STDOUT`)), tally, createWriteStream(join(dir, file), { flags: 'wx' }));
      written.push({ name, file, columns: columns.map((c) => c.column_name), rankColumns, positionColumns, rows: tally.rows, bytes: tally.bytes, sm3: tally.digest() });
    }
    await client.query('COMMIT');
    const cp = cps[0];
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date().toISOString(),
      transactions: counts[0]!.transactions,
      events: counts[0]!.events,
      migrations,
      latestCheckpoint: cp
        ? { treeSize: Number(cp.tree_size), rootHash: cp.root_hash, createdAt: cp.created_at.toISOString(), keyId: cp.key_id, publicKey: cp.public_key, signature: cp.signature }
        : null,
      tables: written,
    };
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(join(dir, MANIFEST_FILE), text, { flag: 'wx' });
    await writeFile(join(dir, MANIFEST_DIGEST_FILE), `${sm3Hex(text)}  ${MANIFEST_FILE}\n`, { flag: 'wx' });
    return manifest;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function fileSm3(path: string): Promise<string> {
  const hash = createHash('sm3');
  await pipeline(createReadStream(path), async function* (chunks: AsyncIterable<Buffer>) {
    for await (const c of chunks) hash.update(c);
  });
  return hash.digest('hex');
}

/**
 * Reads the manifest and checks every file of the backup against it, before anything is written:
 * the first file that differs is named.
 */
export async function checkBackup(dir: string): Promise<BackupManifest> {
  let text: string;
  let digestLine: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    digestLine = await readFile(join(dir, MANIFEST_DIGEST_FILE), 'utf8');
  } catch (error) {
    throw new BackupRefused(`${dir}: 不是完整的备份，缺少 ${MANIFEST_FILE} 或 ${MANIFEST_DIGEST_FILE} (not a backup: ${(error as Error).message})`);
  }
  if (digestLine.split(/\s+/)[0] !== sm3Hex(text)) {
    throw new BackupRefused(`${MANIFEST_FILE}: SM3 与 ${MANIFEST_DIGEST_FILE} 不符，备份已损坏 (the manifest does not match its digest: the backup is damaged)`);
  }
  const manifest = JSON.parse(text) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT) throw new BackupRefused(`${MANIFEST_FILE}: 未知的备份格式 ${String(manifest.format)} (unknown backup format)`);
  for (const t of manifest.tables) {
    const path = join(dir, t.file);
    const size = await stat(path).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0) throw new BackupRefused(`${t.file}: 文件缺失 (missing file)`);
    if (size !== t.bytes || (await fileSm3(path)) !== t.sm3) {
      throw new BackupRefused(`${t.file}: SM3 与清单不符，备份已损坏，拒绝恢复 (does not match the manifest's SM3: the backup is damaged, nothing was restored)`);
    }
  }
  return manifest;
}

/** The tables in an order that loads every referenced table before the tables referring to it. */
async function parentsFirst(client: pg.ClientBase, tables: BackupTable[]): Promise<BackupTable[]> {
  const { rows } = await client.query<{ child: string; parent: string }>(
    `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
       FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`,
  );
  const ordered: BackupTable[] = [];
  const placed = new Set<string>();
  const place = (t: BackupTable, path: Set<string>) => {
    if (placed.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const r of rows) {
      const parent = r.child === t.name ? tables.find((p) => p.name === r.parent) : undefined;
      if (parent) place(parent, path);
    }
    placed.add(t.name);
    ordered.push(t);
  };
  for (const t of tables) place(t, new Set());
  return ordered;
}

/**
 * Why this machine's ledger key cannot take the backup (null when it can). The key is not in the
 * backup — it is kept offline — and a ledger restored under another key would fail every MAC
 * check and sign checkpoints no inspector recognises.
 */
export function ledgerKeyProblem(manifest: BackupManifest, key: Pick<LedgerKey, 'publicKeyHex' | 'keyId'> | null): string | null {
  if (!key) {
    return '本机没有账本密钥：请先放回离线保存的账本密钥 (GONGWEN_LEDGER_KEY 或数据目录下的 ledger-key.json) (no ledger key here: put the offline copy back — GONGWEN_LEDGER_KEY or <data dir>/ledger-key.json — before restoring)';
  }
  const signer = manifest.latestCheckpoint;
  if (signer && signer.publicKey.toLowerCase() !== key.publicKeyHex) {
    return `本机账本密钥与备份的签名密钥不符 (this machine's ledger key ${key.keyId} is not the key that signed the backup's checkpoints, ${signer.keyId})`;
  }
  return null;
}

/** Turns the ranks of one COPY text line's columns back into transaction ids (base + rank). */
class RanksToIds extends Transform {
  private rest = '';
  // A chunk may end inside a character: decode across chunk boundaries.
  private readonly text = new StringDecoder('utf8');
  constructor(
    private readonly base: bigint,
    private readonly rankAt: number[],
    private readonly positionAt: number[],
  ) {
    super();
  }
  private line(l: string): string {
    const f = l.split('\t');
    for (const i of this.rankAt) if (f[i] !== '\\N') f[i] = String(this.base + BigInt(f[i]!));
    for (const i of this.positionAt) {
      const m = /^pg:(\d+):(\d+)$/.exec(f[i]!);
      if (m) f[i] = `pg:${this.base + BigInt(m[1]!)}:${m[2]}`;
    }
    return f.join('\t');
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const lines = (this.rest + this.text.write(chunk)).split('\n');
    this.rest = lines.pop()!;
    done(null, lines.length ? `${lines.map((l) => this.line(l)).join('\n')}\n` : '');
  }
  override _flush(done: TransformCallback): void {
    const last = this.rest + this.text.end();
    done(null, last ? this.line(last) : '');
  }
}

export interface RestoreResult {
  manifest: BackupManifest;
  rows: number;
  /** The transaction id rank 0 maps to. */
  base: string;
}

/**
 * Restores a backup (checked here unless `checked` is the manifest checkBackup returned) into a migrated, empty ledger: same migrations as the backup's, no
 * event, stream, command or Merkle leaf yet. Everything goes in one transaction, so a restore
 * that fails leaves the ledger empty.
 */
export async function restoreLedger(pool: pg.Pool, dir: string, checked?: BackupManifest): Promise<RestoreResult> {
  const manifest = checked ?? (await checkBackup(dir));
  const client = await pool.connect();
  try {
    const { rows: nonEmpty } = await client.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM streams) + (SELECT count(*) FROM commands) + (SELECT count(*) FROM merkle_leaves) AS n`,
    );
    if (Number(nonEmpty[0]!.n) > 0) {
      throw new BackupRefused('目标账本不为空，拒绝恢复：请恢复到空的数据目录或空数据库 (the ledger is not empty: restore only into an empty data folder or database)');
    }
    const { rows: here } = await client.query<{ component: string; version: number; checksum: string }>(
      'SELECT component, version, checksum FROM schema_migrations ORDER BY component, version',
    );
    const key = (m: { component: string; version: number; checksum: string }) => `${m.component}/${m.version}:${m.checksum}`;
    const mine = new Set(here.map(key));
    const theirs = new Set(manifest.migrations.map(key));
    const differ = [...manifest.migrations.filter((m) => !mine.has(key(m))), ...here.filter((m) => !theirs.has(key(m)))].map((m) => `${m.component}/${m.version}`);
    if (differ.length) {
      throw new BackupRefused(
        `备份与本程序的数据库迁移不一致 (${differ.join(', ')})：请用制作备份的同一版本恢复，再升级 (the backup's migrations differ from this version's: restore with the version that made it, then upgrade)`,
      );
    }
    const tables = await ownedTables(client);
    for (const t of manifest.tables) {
      const cols = tables.get(t.name)?.map((c) => c.column_name);
      if (!cols || t.columns.some((c) => !cols.includes(c))) throw new BackupRefused(`${t.file}: 本账本没有表 ${t.name} 或其列 (no such table or columns here)`);
    }

    // Transaction ids for the ranks: take the next id as the base, then use up `transactions` ids
    // (one tiny committed transaction each) so that base + rank stays below the restoring
    // transaction and every later one: the restored events come first in the feed, in their order.
    const { rows: b } = await client.query<{ base: string }>('SELECT pg_current_xact_id()::text AS base');
    const base = BigInt(b[0]!.base);
    await client.query('SET synchronous_commit = off');
    await client.query(`DO $$ BEGIN FOR i IN 1..${Math.trunc(manifest.transactions) + 1} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`);
    await client.query('RESET synchronous_commit');

    await client.query('BEGIN');
    await client.query('SET LOCAL statement_timeout = 0');
    // The migrations' own rows (the empty Merkle head) give way to the backup's.
    for (const t of manifest.tables) await client.query(`DELETE FROM ${q(t.name)}`);
    let rows = 0;
    for (const t of await parentsFirst(client, manifest.tables)) {
      const rankAt = t.rankColumns.map((c) => t.columns.indexOf(c));
      const positionAt = t.positionColumns.map((c) => t.columns.indexOf(c));
      const source = createReadStream(join(dir, t.file));
      const sink = client.query(copyFrom(`COPY ${q(t.name)} (${t.columns.map(q).join(', ')}) FROM STDIN`));
      if (rankAt.length || positionAt.length) await pipeline(source, new RanksToIds(base, rankAt, positionAt), sink);
      else await pipeline(source, sink);
      rows += t.rows;
    }
    // Sequences behind the copied columns continue after the highest value restored.
    const { rows: seqs } = await client.query<{ table_name: string; column_name: string; seq: string }>(
      `SELECT c.table_name, c.column_name, coalesce(pg_get_serial_sequence(quote_ident(c.table_name), c.column_name),
              substring(c.column_default from 'nextval\\(''([^'']+)''')) AS seq
         FROM information_schema.columns c
        WHERE c.table_schema = current_schema() AND c.table_name = ANY($1)
          AND (c.column_default LIKE 'nextval(%' OR c.is_identity = 'YES')`,
      [manifest.tables.map((t) => t.name)],
    );
    for (const s of seqs) {
      if (!s.seq) continue;
      await client.query(`SELECT setval($1::regclass, greatest((SELECT max(${q(s.column_name)}) FROM ${q(s.table_name)}), 1))`, [s.seq]);
    }
    await client.query('COMMIT');
    return { manifest, rows, base: String(base) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
