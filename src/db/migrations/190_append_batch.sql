-- Many appends in one round trip and one transaction (bulk loading: the bench's big ledgers, a
-- restore of many streams). Each element is one gongwen_append call, made in array order, so the
-- idempotency claim, the tip check, the chain check and the feed-order guard are exactly the
-- single append's (002, 020): one place for every rule, this only loops.
--
-- p_appends: a JSON array of {stream_id, base_revision, base_hash, command_id, command_hash,
-- actor, correlation_id, causation_id, recorded_at, events} (events as gongwen_append's p_events).
-- Returns one row per element with its ordinal (0-based). The caller commits only when every row
-- is 'appended'; a 'duplicate' or 'conflict' anywhere means it rolls back and appends one by one.
CREATE FUNCTION gongwen_append_batch(p_appends jsonb)
RETURNS TABLE (
  ord               int,
  outcome           text,
  stream_revision   bigint,
  stream_last_hash  text,
  global_positions  bigint[],
  transaction_id    xid8
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  a jsonb;
  r record;
  i int := 0;
BEGIN
  FOR a IN SELECT value FROM jsonb_array_elements(p_appends) LOOP
    SELECT * INTO r
      FROM gongwen_append(a ->> 'stream_id', (a ->> 'base_revision')::bigint, a ->> 'base_hash', a ->> 'command_id',
                          a ->> 'command_hash', a -> 'actor', a ->> 'correlation_id', a ->> 'causation_id',
                          (a ->> 'recorded_at')::timestamptz, a -> 'events', false);
    ord := i;
    outcome := r.outcome;
    stream_revision := r.stream_revision;
    stream_last_hash := r.stream_last_hash;
    global_positions := r.global_positions;
    transaction_id := r.transaction_id;
    RETURN NEXT;
    -- Nothing after a refusal would be kept (the caller rolls back): stop at the first one.
    EXIT WHEN r.outcome <> 'appended';
    i := i + 1;
  END LOOP;
END;
$$;
