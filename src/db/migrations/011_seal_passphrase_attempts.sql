-- Every try of a server-held seal's passphrase, recorded BEFORE the key is unwrapped ('pending'),
-- under a per-seal lock, and settled after ('wrong' or 'right'). The lock counts pending and wrong
-- tries, so however many requests arrive at once, at most the limit of them ever reach the key.
-- (The security log still records each refusal for inspectors; this table is the counter.)
CREATE TABLE seal_passphrase_attempts (
  id       bigserial PRIMARY KEY,
  seal_id  text NOT NULL,
  at       timestamptz NOT NULL,
  outcome  text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'wrong', 'right'))
);
CREATE INDEX seal_passphrase_attempts_window ON seal_passphrase_attempts (seal_id, at) WHERE outcome <> 'right';
