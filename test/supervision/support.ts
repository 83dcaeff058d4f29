import type { Ledger } from '../../src/app/ledger.ts';
import { beijingTime } from '../../src/supervision/calendar.ts';
import { createTestLedger, draftInput, SEAL_PASSPHRASE, seedCity } from '../support/ledger.ts';

/** A Beijing wall-clock time as an instant. */
export const bj = (day: string, hhmm: string) => new Date(beijingTime(day, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))));

/** A ledger on a clock the test moves (the simulated clock of the supervision tests). */
export async function ledgerOnClock(start: Date, env: Record<string, string> = {}) {
  let t = start.getTime();
  const clock = { set: (at: Date) => void (t = at.getTime()), now: () => new Date(t) };
  const ledger = await createTestLedger({ now: clock.now, env });
  const city = await seedCity(ledger);
  return { ledger, city, clock };
}

/** Drafts, signs off, seals and sends a document of the city office to `to`, and lets the deliveries arrive. */
export async function sendDocument(ledger: Ledger, city: Awaited<ReturnType<typeof seedCity>>, documentId: string, over: Record<string, unknown> & { mainRecipients: string[] }) {
  const office = city.units[0]!;
  await city.run(office.clerk, 'DraftDocument', draftInput(documentId, { ccRecipients: [], ...over }));
  await city.run(office.leader, 'SignOffDocument', { documentId });
  await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId, sealId: 'city-office-seal' });
  await city.run(office.clerk, 'SendDocument', { documentId });
  await ledger.settle();
}
