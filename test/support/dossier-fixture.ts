import { readUploads, storeAcceptedUploads } from '../../src/api/api-commands.ts';
import type { Ledger } from '../../src/app/ledger.ts';
import { SEAL_PASSPHRASE, draftInput, seedCity, user } from './ledger.ts';

/**
 * A small city whose office (全宗 0001) issues and files documents in 2025 — some with real
 * attachments stored in the content store, some with hostile titles and attachment names — and
 * an archivist for the fonds. The clock is the ledger's: pass `clock.now` to createTestLedger.
 */
export class FixtureClock {
  constructor(public time = new Date('2025-03-02T09:00:00+08:00')) {}
  now = (): Date => this.time;
  tick(minutes = 7): void {
    this.time = new Date(this.time.getTime() + minutes * 60_000);
  }
}

export const HOSTILE_TITLE = '关于<script>&"引号"\'单引号\'与 ]]> 的通知';

export async function seedDossierCity(ledger: Ledger, clock: FixtureClock) {
  const city = await seedCity(ledger);
  await city.run(city.admin, 'RegisterUser', { userId: 'archivist', unitId: 'city-office', name: '孙档案', roles: ['ARCHIVIST'] });
  await city.run(city.admin, 'RegisterUser', { userId: 'edu-archivist', unitId: 'edu', name: '钱档案', roles: ['ARCHIVIST'] });
  const archivist = user('archivist', 'city-office', 'ARCHIVIST');
  const eduArchivist = user('edu-archivist', 'edu', 'ARCHIVIST');
  const office = city.units[0]!;
  const edu = city.units[1]!;

  /** Issues, sends and files one document of the office; recipients edu (main) and fin (cc). */
  async function fileOne(documentId: string, opts: { title?: string; retention?: 'Y' | 'D30' | 'D10'; attachments?: { name: string; mediaType: string; content: Buffer }[]; pages?: number; eduFiles?: boolean } = {}) {
    clock.tick();
    const attachments = opts.attachments
      ? await storeUploadsNow(
          ledger.db.pool,
          opts.attachments.map((a) => ({ name: a.name, mediaType: a.mediaType, contentBase64: a.content.toString('base64') })),
        )
      : [];
    await city.run(office.clerk, 'DraftDocument', draftInput(documentId, { ...(opts.title && { title: opts.title }), attachments, mainRecipients: ['edu'], ccRecipients: ['fin'] }));
    clock.tick();
    await city.run(office.leader, 'SignOffDocument', { documentId });
    clock.tick();
    await city.run(office.keeper, 'SealDocument', { passphrase: SEAL_PASSPHRASE, documentId, sealId: 'city-office-seal' });
    await city.run(office.clerk, 'SendDocument', { documentId });
    await ledger.settle();
    clock.tick();
    await city.run(edu.clerk, 'ReceiveDocument', { documentId, unitId: 'edu' });
    clock.tick();
    await city.run(office.clerk, 'FileDocument', { documentId, retention: opts.retention ?? 'D30', fondsCode: '0001', ...(opts.pages && { pages: opts.pages }) });
    if (opts.eduFiles) await city.run(edu.clerk, 'FileIncoming', { documentId, unitId: 'edu', retention: opts.retention ?? 'D30' });
  }

  return { city, archivist, eduArchivist, office, edu, fileOne };
}

/** A fixture's uploads, stored at once (the API stores them only with the accepted command). */
async function storeUploadsNow(pool: import('pg').Pool, list: Parameters<typeof readUploads>[0]) {
  const uploads = readUploads(list);
  await storeAcceptedUploads(pool, uploads);
  return uploads.attachments;
}
