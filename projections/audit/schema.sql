-- The audit trail: one row per event of the ledger, append-only, in feed order. Inspectors read
-- three timelines from it (a document, a person, a unit); every row carries the result of checking
-- the event's hash and its link to the previous event of its stream, computed when it was applied.
CREATE TABLE audit_entries (
  -- Assigned by the projection in feed order (1, 2, 3 …): global_position is the store's sequence
  -- number and is not commit order, so it cannot order a timeline.
  feed_seq         bigint PRIMARY KEY,
  position         text   NOT NULL,
  global_position  bigint NOT NULL,
  stream_id        text   NOT NULL,
  revision         bigint NOT NULL,
  event_id         uuid   NOT NULL,
  type             text   NOT NULL,
  action           text   NOT NULL,
  actor_user_id    text   NOT NULL,
  actor_unit_id    text   NOT NULL,
  actor_role       text   NOT NULL,
  command_id       text   NOT NULL,
  correlation_id   text   NOT NULL,
  document_id      text,
  -- The unit the event is about: the issuer of a document, the recipient of a delivery, the unit
  -- of a seal, a user, a numbering series or the unit itself.
  subject_unit_id  text,
  -- The user a directory event is about (registered, granted a role, given a credential …).
  subject_user_id  text,
  occurred_at      timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL,
  late_recorded    boolean NOT NULL,
  hash             text   NOT NULL,
  prev_hash        text   NOT NULL,
  hash_status      text   NOT NULL CHECK (hash_status IN ('verified', 'hash_mismatch', 'chain_broken'))
);

-- The timelines', the inspectors' and the subscriptions' indexes (audit_entries_stream among them)
-- are in indexes.sql: a rebuild creates them after the replay.

-- The newest entry of each stream (the highest revision applied), for the chain check of the next
-- batch: one row a stream, written once a batch, instead of an index on (stream_id, revision)
-- kept up row by row while a rebuild writes every event of the ledger in stream-random order
-- (that index was 40 % of the COPY's time, measured on 202k entries).
CREATE TABLE audit_stream_tips (
  stream_id text PRIMARY KEY,
  revision  bigint NOT NULL,
  hash      text   NOT NULL
);
