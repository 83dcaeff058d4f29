-- The append function again, with the same rules and answers as 020 (see 002 for the contract),
-- in fewer statements: each statement a PL/pgSQL function runs pays its own executor start and
-- end, plan-cache check and snapshot, which on a lone 5-event append cost about as much as the
-- statements' own work (issue 16: a profile of the backend, README "Proof under load").
--   * A new stream is one statement: the command claim, the stream's row and the events, as
--     data-modifying CTEs each fed by the one before, so nothing past a refused step is written.
--   * An existing stream is two: the claim with the tip's move, then the events.
--   * The feed-order guard (020) is a query of its own, so it is run only where it can fire, on
--     an existing stream; before, its IF ran a query on every append.
-- Why the snapshots still come out right: ON CONFLICT and UPDATE wait for a twin or a concurrent
-- writer of the same row and then decide on the row as committed, whatever the statement's
-- snapshot; every read that follows a wait (the duplicate's command, the conflict's tip, the
-- feed-order guard) is still a statement of its own, which takes a fresh snapshot.
CREATE OR REPLACE FUNCTION gongwen_append(
  p_stream_id       text,
  p_base_revision   bigint,
  p_base_hash       text,
  p_command_id      text,
  p_command_hash    text,
  p_actor           jsonb,
  p_correlation_id  text,
  p_causation_id    text,
  p_recorded_at     timestamptz,
  p_events          jsonb,
  p_notify          boolean
) RETURNS TABLE (
  outcome           text,
  stream_revision   bigint,
  stream_last_hash  text,
  command_hash      text,
  command_stream_id text,
  first_revision    bigint,
  last_revision     bigint,
  global_positions  bigint[],
  transaction_id    xid8
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_count        int := jsonb_array_length(p_events);
  v_new_revision bigint;
  v_last_hash    text;
  v_positions    bigint[];
  v_claimed      boolean;
  v_moved        boolean;
BEGIN
  IF p_base_revision IS NULL THEN
    -- The tip first, the command second: each statement sees a newer snapshot, so a twin of this
    -- command that moved the tip in between is then found as a duplicate, never misreported as
    -- a conflict. (The other order could see the twin's tip but not yet its command.)
    SELECT s.revision, s.last_hash INTO stream_revision, stream_last_hash
      FROM streams s WHERE s.stream_id = p_stream_id;
    SELECT c.command_hash, c.stream_id, c.first_revision, c.last_revision
      INTO command_hash, command_stream_id, first_revision, last_revision
      FROM commands c WHERE c.command_id = p_command_id;
    outcome := CASE WHEN FOUND THEN 'duplicate' ELSE 'conflict' END;
    RETURN NEXT;
    RETURN;
  END IF;

  IF v_count = 0 THEN
    RAISE EXCEPTION 'gongwen_append: no events' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  v_new_revision := p_base_revision + v_count;
  v_last_hash := p_events -> (v_count - 1) ->> 'hash';

  -- Claiming the command id first makes the check and the claim one index operation; a twin of
  -- this command still in flight is waited for, and once it commits the claim is a no-op (the
  -- duplicate's look-up below, a statement of its own, then sees the twin's row).
  IF p_base_revision < 0 THEN
    -- A new stream: the claim, then the stream's row (waiting for a concurrent creator, whose
    -- commit makes it a no-op), then the events, each only if the step before it wrote its row.
    WITH claim AS (
      INSERT INTO commands (command_id, command_hash, stream_id, first_revision, last_revision, recorded_at)
        VALUES (p_command_id, p_command_hash, p_stream_id, p_base_revision + 1, v_new_revision, p_recorded_at)
        ON CONFLICT (command_id) DO NOTHING
      RETURNING 1
    ), tip AS (
      INSERT INTO streams (stream_id, revision, last_hash)
        SELECT p_stream_id, v_new_revision, v_last_hash FROM claim
        ON CONFLICT (stream_id) DO NOTHING
      RETURNING 1
    ), inserted AS (
      INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, occurred_at,
                          recorded_at, actor, command_id, correlation_id, causation_id, prev_hash, hash, mac)
      SELECT p_stream_id, p_base_revision + e.ord, e.event_id, e.type, e.schema_version, e.data, e.occurred_at,
             p_recorded_at, p_actor, p_command_id, p_correlation_id, p_causation_id,
             coalesce(lag(e.hash) OVER (ORDER BY e.ord), p_base_hash), e.hash, e.mac
        FROM tip, ROWS FROM (jsonb_to_recordset(p_events)
               AS (event_id uuid, type text, schema_version int, data jsonb, occurred_at timestamptz, hash text, mac text))
             WITH ORDINALITY AS e(event_id, type, schema_version, data, occurred_at, hash, mac, ord)
       -- The sequence default is evaluated after the sort, so positions follow revisions.
       ORDER BY e.ord
      RETURNING events.global_position, events.revision
    )
    SELECT EXISTS (SELECT FROM claim), EXISTS (SELECT FROM tip),
           (SELECT array_agg(i.global_position ORDER BY i.revision) FROM inserted i)
      INTO v_claimed, v_moved, v_positions;
  ELSE
    -- The hash is checked with the revision so a stale cached tip can never break the chain.
    WITH claim AS (
      INSERT INTO commands (command_id, command_hash, stream_id, first_revision, last_revision, recorded_at)
        VALUES (p_command_id, p_command_hash, p_stream_id, p_base_revision + 1, v_new_revision, p_recorded_at)
        ON CONFLICT (command_id) DO NOTHING
      RETURNING 1
    ), tip AS (
      UPDATE streams s SET revision = v_new_revision, last_hash = v_last_hash
       WHERE s.stream_id = p_stream_id AND s.revision = p_base_revision AND s.last_hash = p_base_hash
         AND EXISTS (SELECT FROM claim)
      RETURNING 1
    )
    SELECT EXISTS (SELECT FROM claim), EXISTS (SELECT FROM tip) INTO v_claimed, v_moved;
  END IF;

  IF NOT v_claimed THEN
    SELECT c.command_hash, c.stream_id, c.first_revision, c.last_revision
      INTO command_hash, command_stream_id, first_revision, last_revision
      FROM commands c WHERE c.command_id = p_command_id;
    outcome := 'duplicate';
    RETURN NEXT;
    RETURN;
  END IF;
  IF NOT v_moved THEN
    -- Not appending after all: give the command id back, report the actual tip.
    DELETE FROM commands c WHERE c.command_id = p_command_id;
    SELECT s.revision, s.last_hash INTO stream_revision, stream_last_hash
      FROM streams s WHERE s.stream_id = p_stream_id;
    outcome := 'conflict';
    RETURN NEXT;
    RETURN;
  END IF;

  IF p_base_revision >= 0 THEN
    -- The feed orders by transaction id. A transaction that took its id before the one that wrote
    -- the stream's tip (it wrote something else first, or queued on the tip's row lock after
    -- taking it) would put these events BEFORE their predecessor in the feed, and every rebuild
    -- would replay the stream out of order. Refused; the caller retries in a fresh transaction.
    IF EXISTS (SELECT 1 FROM events e
                WHERE e.stream_id = p_stream_id AND e.revision = p_base_revision
                  AND e.transaction_id > pg_current_xact_id()) THEN
      RAISE EXCEPTION 'gongwen_append: stream % revision % was written by a younger transaction than this one', p_stream_id, p_base_revision
        USING ERRCODE = 'serialization_failure', HINT = 'gongwen-feed-order';
    END IF;

    WITH inserted AS (
      INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, occurred_at,
                          recorded_at, actor, command_id, correlation_id, causation_id, prev_hash, hash, mac)
      SELECT p_stream_id, p_base_revision + e.ord, e.event_id, e.type, e.schema_version, e.data, e.occurred_at,
             p_recorded_at, p_actor, p_command_id, p_correlation_id, p_causation_id,
             coalesce(lag(e.hash) OVER (ORDER BY e.ord), p_base_hash), e.hash, e.mac
        FROM ROWS FROM (jsonb_to_recordset(p_events)
               AS (event_id uuid, type text, schema_version int, data jsonb, occurred_at timestamptz, hash text, mac text))
             WITH ORDINALITY AS e(event_id, type, schema_version, data, occurred_at, hash, mac, ord)
       ORDER BY e.ord
      RETURNING events.global_position, events.revision
    )
    SELECT array_agg(i.global_position ORDER BY i.revision) INTO v_positions FROM inserted i;
  END IF;

  IF p_notify THEN
    PERFORM pg_notify('gongwen_events', '');
  END IF;

  outcome := 'appended';
  stream_revision := v_new_revision;
  stream_last_hash := v_last_hash;
  global_positions := v_positions;
  transaction_id := pg_current_xact_id();
  RETURN NEXT;
END;
$$;
