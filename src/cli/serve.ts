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
  // The clean stop lets running jobs, a projection batch and the last checkpoint finish. One that
  // hangs (a supervision scan over a large backlog was seen to hold it for minutes) must not keep
  // the process and its PostgreSQL alive after an operator or npm asked them to stop.
  const deadline = setTimeout(() => {
    app.log.error(`shutdown not finished after ${SHUTDOWN_MS / 1000} s: stopping PostgreSQL and exiting; the next start resumes from the checkpoints`);
    void Promise.race([db.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]).finally(() => process.exit(1));
  }, SHUTDOWN_MS);
  await app.close();
  await ledger.close();
  await db.close();
  clearTimeout(deadline);
  return 0;
}

const SHUTDOWN_MS = 30_000;
