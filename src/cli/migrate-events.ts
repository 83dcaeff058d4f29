import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { ledgerStreamCategories } from '../eventstore/create-event-store.ts';
import { EventStoreDbEventStore } from '../eventstore/eventstoredb/eventstoredb-event-store.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import { PostgresEventStore } from '../eventstore/postgres/postgres-event-store.ts';
import { loadLedgerKey } from '../integrity/ledger-key.ts';
import { eventRegistry } from '../../schemas/events/index.ts';

/**
 * `gongwen migrate-events --to eventstoredb`: copies the PostgreSQL ledger's events, in feed order,
 * into an empty EventStoreDB at EVENTSTORE_URL — each command as one plan and one append, with its
 * ids, envelope, times, hashes and MACs as they are, so the chains and MACs verify unchanged on the
 * copy. Read models, checkpoints and the Merkle log stay in PostgreSQL. Then start the ledger with
 * EVENT_STORE=eventstoredb.
 */
export async function migrateEvents(config: Config, to: string | undefined, log: (line: string) => void = console.error): Promise<number> {
  if (to !== 'eventstoredb') {
    console.error('用法 (usage): gongwen migrate-events --to eventstoredb   (EVENTSTORE_URL=esdb://…)');
    return 2;
  }
  if (!config.EVENTSTORE_URL) {
    console.error('EVENTSTORE_URL 未设置：请给出目标 EventStoreDB 的连接串 (set EVENTSTORE_URL to the target, e.g. esdb://localhost:2113?tls=false)');
    return 2;
  }
  const db = await openDatabase(config);
  const key = await loadLedgerKey(config);
  const source = new PostgresEventStore({ pool: db.pool, registry: eventRegistry, macKey: key.macKey, notify: false });
  const target = new EventStoreDbEventStore({ url: config.EVENTSTORE_URL, registry: eventRegistry, macKey: key.macKey, categories: ledgerStreamCategories() });
  try {
    if ((await target.readAll(null, 1)).events.length > 0) {
      console.error('目标 EventStoreDB 已有账本事件，拒绝迁移 (the target EventStoreDB already holds ledger events: migrate into an empty store)');
      return 1;
    }
    await source.awaitVisible();
    let copied = 0;
    let commands = 0;
    let batch: RecordedEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const first = batch[0]!;
      const command = await source.findCommand(first.commandId);
      await target.importCommand(batch, command?.commandHash ?? null);
      copied += batch.length;
      commands++;
      batch = [];
    };
    for (let position: string | null = null; ; ) {
      const page = await source.readAll(position, 1000);
      if (page.events.length === 0) break;
      for (const e of page.events) {
        const last = batch.at(-1);
        if (last && (last.commandId !== e.commandId || last.streamId !== e.streamId)) await flush();
        batch.push(e);
      }
      position = page.position;
      log(`已复制 ${copied} 个事件 (copied ${copied} events)`);
    }
    await flush();
    log(`迁移完成：${copied} 个事件，${commands} 条命令 (done: ${copied} events of ${commands} commands). 以 EVENT_STORE=eventstoredb 启动账本 (start the ledger with EVENT_STORE=eventstoredb)`);
    return 0;
  } finally {
    await target.close();
    await source.close();
    await db.close();
  }
}
