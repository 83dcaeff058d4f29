-- Where each process manager (reactor) has got to in the global feed. Reactors act through the
-- event store with deterministic command ids, so re-handling an event after a crash is harmless.
CREATE TABLE reactor_checkpoints (
  name       text PRIMARY KEY,
  position   text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
