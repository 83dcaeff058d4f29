import type pg from 'pg';
import type { EventStore, FeedPosition, RecordedEvent } from '../../eventstore/port.ts';

/**
 * A process manager: reacts to events of the global feed by issuing commands. Handlers must be
 * idempotent (deterministic commandIds), because the checkpoint is saved after the handling: a
 * crash in between replays the event, never skips it.
 */
export interface Reactor {
  name: string;
  handles: ReadonlySet<string>;
  handle(event: RecordedEvent): Promise<void>;
}

export class ReactorRunner {
  private stopped = false;
  private running: Promise<void> | undefined;
  private subscription: ReturnType<EventStore['subscribeAll']> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    readonly reactor: Reactor,
    private readonly onError: (error: unknown, event: RecordedEvent) => void = () => {},
  ) {}

  async checkpoint(): Promise<FeedPosition | null> {
    const { rows } = await this.pool.query<{ position: string | null }>('SELECT position FROM reactor_checkpoints WHERE name = $1', [
      this.reactor.name,
    ]);
    return rows[0]?.position ?? null;
  }

  private async save(position: FeedPosition | null): Promise<void> {
    await this.pool.query(
      `INSERT INTO reactor_checkpoints (name, position) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [this.reactor.name, position],
    );
  }

  /** Handles everything visible now, then returns: deterministic, for the CLI and tests. */
  async catchUp(batchSize = 500): Promise<number> {
    let position = await this.checkpoint();
    let handled = 0;
    for (;;) {
      const page = await this.store.readAll(position, batchSize);
      for (const event of page.events) {
        if (this.reactor.handles.has(event.type)) {
          await this.reactor.handle(event);
          handled++;
        }
      }
      if (page.events.length === 0) return handled;
      position = page.position;
      await this.save(position);
    }
  }

  /** Follows the feed until stop(); a failing event is reported and retried, never skipped. */
  start(): void {
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    // Failed rounds in a row (a database restarting, a failing event): each retry waits longer, up to 2 s (stop waits for the pause).
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.catchUp();
        failures = 0;
        const from = await this.checkpoint();
        this.subscription = this.store.subscribeAll(from);
        let unsaved = 0;
        for await (const event of this.subscription) {
          if (this.stopped) break;
          const handled = this.reactor.handles.has(event.type);
          if (handled) {
            try {
              await this.reactor.handle(event);
            } catch (error) {
              this.onError(error, event);
              throw error;
            }
          }
          // Skipped events need no checkpoint write each: replaying them after a crash does nothing.
          if (handled || ++unsaved >= 500) {
            await this.save(event.position);
            unsaved = 0;
          }
        }
      } catch {
        if (!this.stopped) await new Promise((ok) => setTimeout(ok, Math.min(250 * 2 ** failures++, 2_000)));
      } finally {
        await this.subscription?.close();
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.running;
  }
}
