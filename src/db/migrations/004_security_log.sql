-- Refused actions, for inspectors (电子监察): who tried what, when, and why it was refused. Not part
-- of the event streams: a refusal changes no state, but it is evidence.
CREATE TABLE security_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  user_id      text,
  unit_id      text,
  command_type text NOT NULL,
  command_id   text,
  code         text NOT NULL,
  message      text NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX security_log_user ON security_log (user_id, at);
CREATE INDEX security_log_unit ON security_log (unit_id, at);
