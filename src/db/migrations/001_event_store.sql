-- The event store. Rows are written only by the append path (src/eventstore/postgres); nothing
-- updates or deletes them. Tamper evidence (hash chain, MAC, Merkle log) catches anyone who does.

-- One row per stream: its revision (for optimistic concurrency) and the hash of its last event
-- (so the next append can chain without reading the stream).
CREATE TABLE streams (
  stream_id  text PRIMARY KEY,
  revision   bigint NOT NULL,
  last_hash  text   NOT NULL
);

CREATE SEQUENCE events_global_position_seq;

CREATE TABLE events (
  global_position bigint PRIMARY KEY DEFAULT nextval('events_global_position_seq'),
  -- Feed order is (transaction_id, global_position); readers stop below the oldest running
  -- transaction so an insert that commits late is never skipped.
  transaction_id  xid8   NOT NULL DEFAULT pg_current_xact_id(),
  stream_id       text   NOT NULL,
  revision        bigint NOT NULL,
  event_id        uuid   NOT NULL UNIQUE,
  type            text   NOT NULL,
  schema_version  int    NOT NULL,
  data            jsonb  NOT NULL,
  -- Hashed as ISO strings with millisecond precision in UTC; timestamptz keeps exactly that.
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  actor           jsonb  NOT NULL,
  command_id      text   NOT NULL,
  correlation_id  text   NOT NULL,
  causation_id    text,
  prev_hash       text   NOT NULL,
  hash            text   NOT NULL,
  mac             text   NOT NULL,
  UNIQUE (stream_id, revision)
);

CREATE INDEX events_feed_order ON events (transaction_id, global_position);

-- Idempotency: one row per command that appended; a repeat returns these events.
CREATE TABLE commands (
  command_id     text PRIMARY KEY,
  command_hash   text,
  stream_id      text   NOT NULL,
  first_revision bigint NOT NULL,
  last_revision  bigint NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now()
);
