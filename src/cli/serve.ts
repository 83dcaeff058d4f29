import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { createLedger } from '../app/ledger.ts';
import { buildServer } from '../server.ts';

/** `gongwen serve`: runs until SIGINT/SIGTERM, then stops cleanly (the embedded server too). */
export async function serve(config: Config): Promise<number> {
  const db = await openDatabase(config);
  const ledger = await createLedger(config, db);
  ledger.start();
  ledger.renderings.start();
  await ledger.jobs.start();
  const app = await buildServer(ledger, { logLevel: config.LOG_LEVEL });
  await app.listen({ host: config.HOST, port: config.PORT });
  app.log.info(
    `Gongwen Ledger listening on http://${config.HOST}:${config.PORT} (${db.embedded ? `embedded PostgreSQL in ${config.GONGWEN_DATA_DIR}` : 'DATABASE_URL'}; ledger key ${ledger.key.keyId})`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  app.log.info('shutting down');
  await app.close();
  await ledger.close();
  await db.close();
  return 0;
}
