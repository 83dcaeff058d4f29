-- The append path of the PostgreSQL event store in one function, so an append is one round trip:
-- idempotency check, optimistic-concurrency check, multi-row insert of the events, the command
-- row, the stream's new tip, and (optionally) the wake-up notification, all in the caller's
-- transaction. The hashes are computed by the application (RFC 8785 JSON + SM3) before the call;
-- the function only checks that they chain from the tip the application assumed.
--
-- p_events: a JSON array, in revision order, of {event_id, type, schema_version, data,
-- occurred_at, hash, mac} (one parameter: cheaper to send and parse than an array per column).
-- Each event's prev_hash is the previous one's hash, the first's p_base_hash.
--
-- p_base_revision / p_base_hash: the stream tip the caller chained from (-1 and the genesis hash
-- for a new stream). NULL base revision = a probe: nothing is written, the function reports the
-- command (if known) and the stream's actual tip, so a caller with no cached tip learns it and the
-- revision check in the same round trip.
--
-- outcome:
--   'appended'  - written; global_positions (in revision order) and transaction_id are set.
--   'duplicate' - the command id is known; command_* columns describe its first outcome.
--   'conflict'  - the stream's tip is not what the caller assumed (or this was a probe);
--                 stream_revision / stream_last_hash are the actual tip (NULL when no stream).
CREATE FUNCTION gongwen_append(
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

  -- Claiming the command id first makes the check and the claim one index operation. A twin of
  -- this command still in flight is waited for; once it commits, this is a no-op and, since each
  -- statement of a volatile function takes a fresh snapshot under READ COMMITTED, the SELECT
  -- below sees the twin's row: the caller gets 'duplicate', not an error.
  INSERT INTO commands (command_id, command_hash, stream_id, first_revision, last_revision, recorded_at)
    VALUES (p_command_id, p_command_hash, p_stream_id, p_base_revision + 1, v_new_revision, p_recorded_at)
    ON CONFLICT (command_id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT c.command_hash, c.stream_id, c.first_revision, c.last_revision
      INTO command_hash, command_stream_id, first_revision, last_revision
      FROM commands c WHERE c.command_id = p_command_id;
    outcome := 'duplicate';
    RETURN NEXT;
    RETURN;
  END IF;

  IF p_base_revision < 0 THEN
    -- Waits for a concurrent creator of the same stream; its commit makes this a no-op.
    INSERT INTO streams (stream_id, revision, last_hash)
      VALUES (p_stream_id, v_new_revision, v_last_hash)
      ON CONFLICT (stream_id) DO NOTHING;
  ELSE
    -- The hash is checked with the revision so a stale cached tip can never break the chain.
    UPDATE streams s SET revision = v_new_revision, last_hash = v_last_hash
      WHERE s.stream_id = p_stream_id AND s.revision = p_base_revision AND s.last_hash = p_base_hash;
  END IF;
  IF NOT FOUND THEN
    -- Not appending after all: give the command id back, report the actual tip.
    DELETE FROM commands c WHERE c.command_id = p_command_id;
    SELECT s.revision, s.last_hash INTO stream_revision, stream_last_hash
      FROM streams s WHERE s.stream_id = p_stream_id;
    outcome := 'conflict';
    RETURN NEXT;
    RETURN;
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
     -- The sequence default is evaluated after the sort, so positions follow revisions.
     ORDER BY e.ord
    RETURNING events.global_position, events.revision
  )
  SELECT array_agg(i.global_position ORDER BY i.revision) INTO v_positions FROM inserted i;

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
