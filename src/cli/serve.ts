import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { createLedger } from '../app/ledger.ts';
import { buildServer } from '../server.ts';

/**
 * `gongwen serve`: runs until SIGINT/SIGTERM/SIGHUP, then stops cleanly (the embedded server too).
 * The embedded server is restarted if it dies; the ledger's connections come back to it.
 */
export async function serve(config: Config): Promise<number> {
  let say = (message: string) => console.error(message);
  const db = await openDatabase(config, { restartOnCrash: true, onEvent: (m) => say(m) });
  const ledger = await createLedger(config, db);
  ledger.start();
  ledger.renderings.start();
  await ledger.jobs.start();
  const app = await buildServer(ledger, { logLevel: config.LOG_LEVEL });
  say = (message) => app.log.warn(message);
  await app.listen({ host: config.HOST, port: config.PORT });
  const scheme = config.GONGWEN_TLS_CERT ? 'https' : 'http';
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  const base = `${scheme}://${host}:${(app.server.address() as { port: number }).port}`;
  app.log.info(
    `Gongwen Ledger listening on ${base} (${db.embedded ? `embedded PostgreSQL in ${config.GONGWEN_DATA_DIR}` : 'DATABASE_URL'}; ledger key ${ledger.key.keyId})`,
  );
  // Said plainly too, for the person who just typed `npm start`.
  console.log(`GraphQL:  ${base}/graphql`);
  if (config.GONGWEN_MODE !== 'production') console.log(`GraphiQL: ${base}/graphiql`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, resolve);
  });
  app.log.info('shutting down');
  await app.close();
  await ledger.close();
  await db.close();
  return 0;
}
