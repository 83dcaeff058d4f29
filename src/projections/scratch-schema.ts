import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Projection } from './projection.ts';

/**
 * A schema of its own where projections' tables are built aside from the live ones: a pool whose
 * connections put the schema first on the search path, so a projection's unqualified SQL (its
 * schema, its apply, its indexes, the runner's projection_checkpoints) lands there, while the
 * events and every other core table are still read from `public`. Used to rebuild read models
 * without touching the served rows (rebuild then swaps them in) and to compare a rebuild with the
 * live rows (`gongwen verify --read-models`).
 */
export class ScratchSchema {
  private constructor(
    private readonly pool: pg.Pool,
    readonly name: string,
    /** Connections with the scratch schema first on the search path. */
    readonly scratchPool: pg.Pool,
  ) {}

  /** Creates the schema, the projections' tables in it and, for a runner, their checkpoints at the start. */
  static async create(pool: pg.Pool, purpose: string, projections: readonly Projection[]): Promise<ScratchSchema> {
    const name = `gongwen_${purpose}_${randomBytes(6).toString('hex')}`;
    await pool.query(`CREATE SCHEMA ${name}`);
    const options = (pool as unknown as { options: pg.PoolConfig }).options;
    const scratch = new ScratchSchema(pool, name, new pg.Pool({ ...options, max: 4, options: `-c search_path=${name},public` }));
    try {
      await scratch.scratchPool.query(`CREATE TABLE ${name}.projection_checkpoints (LIKE public.projection_checkpoints INCLUDING ALL)`);
      for (const p of projections) {
        await scratch.scratchPool.query(p.schemaSql);
        // No autovacuum while the replay fills them: it would ANALYZE each table again and again
        // as it grows (CPU taken from the replay), and the swap's ALTER TABLE would wait on it for
        // deadlock_timeout (1 s a table) before it gives way. `analyze` does it once at the end.
        for (const t of p.tables) await scratch.scratchPool.query(`ALTER TABLE ${name}.${t} SET (autovacuum_enabled = off)`);
        await scratch.scratchPool.query(`INSERT INTO ${name}.projection_checkpoints (name, version) VALUES ($1, $2)`, [p.name, p.version]);
      }
    } catch (error) {
      await scratch.drop();
      throw error;
    }
    return scratch;
  }

  /**
   * Gathers the planner's statistics of the projection's tables once they are filled, so the
   * swapped-in tables are planned right from their first query (autovacuum, off while they were
   * filled, would otherwise get to them some time after). Then `restoreAutovacuum`, inside the
   * swap's transaction, gives them back to autovacuum.
   */
  async analyze(p: Projection): Promise<void> {
    for (const t of p.tables) await this.scratchPool.query(`ANALYZE ${this.name}.${t}`);
  }

  async restoreAutovacuum(client: Pick<pg.ClientBase, 'query'>, p: Projection): Promise<void> {
    for (const t of p.tables) await client.query(`ALTER TABLE ${this.name}.${t} RESET (autovacuum_enabled)`);
  }

  async drop(): Promise<void> {
    await this.scratchPool.end().catch(() => {});
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`);
  }
}
