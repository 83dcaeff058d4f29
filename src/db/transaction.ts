import type pg from 'pg';

/**
 * Runs `work` in one transaction on a client of its own: COMMIT when it returns, ROLLBACK when it
 * throws. A client whose ROLLBACK itself failed (connection lost mid-transaction) is destroyed
 * rather than returned to the pool, so no later borrower inherits an aborted transaction.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}
