-- Each projection's place in the global feed, written in the same transaction as its rows, so a
-- crash never applies an event twice or skips one. `version` is the projection's code version:
-- when the code's differs, the projection's tables are dropped and rebuilt from the events.
CREATE TABLE projection_checkpoints (
  name             text PRIMARY KEY,
  version          int    NOT NULL,
  position         text,
  events_applied   bigint NOT NULL DEFAULT 0,
  last_recorded_at timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
