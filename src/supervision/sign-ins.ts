import type { Principal } from '../app/authorization.ts';
import { streams } from '../domain/streams.ts';
import { ConcurrencyError, type EventStore } from '../eventstore/port.ts';
import { beijingDay } from './calendar.ts';

type User = Extract<Principal, { kind: 'user' }>;

/**
 * Records a user's first successful sign-in of each Beijing day as one UserSignedIn event on
 * `signin-<userId>.<day>` (the daily check asks who never signed in). One event per user and day,
 * not one per request: the stream must not exist yet, and this process remembers whom it has
 * recorded today so later requests cost nothing.
 */
export class SignInRecorder {
  private readonly seen = new Set<string>();
  private day = '';

  constructor(private readonly store: EventStore) {}

  async record(p: User, at: Date): Promise<void> {
    const day = beijingDay(at.getTime());
    if (day !== this.day) {
      this.day = day;
      this.seen.clear();
    }
    if (this.seen.has(p.userId)) return;
    try {
      await this.store.append(
        streams.signIn(p.userId, day),
        [{ type: 'UserSignedIn', data: { userId: p.userId, unitId: p.unitId, day, signedInAt: at.toISOString() } }],
        { expectedRevision: 'no_stream', commandId: `signin:${p.userId}:${day}`, actor: { userId: p.userId, unitId: p.unitId, role: p.roles[0] ?? 'STAFF' } },
      );
    } catch (error) {
      // Another server (or an earlier process today) recorded it first.
      if (!(error instanceof ConcurrencyError)) throw error;
    }
    this.seen.add(p.userId);
  }
}
