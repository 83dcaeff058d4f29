-- The directory as the API and the administrators read it: units, users with their roles and
-- login credentials, seals, and the seal usage log (用印登记) with its anomalies.

CREATE TABLE directory_units (
  unit_id            text PRIMARY KEY,
  name               text    NOT NULL,
  short_name         text,
  kind               text    NOT NULL,
  parent_unit_id     text,
  fonds_code         text,
  organisation_code  text,
  doc_number_prefixes text[] NOT NULL,
  active             boolean NOT NULL,
  deactivation_reason text,
  -- Earlier names, oldest first: [{name, shortName?, until}]. Documents issued before a rename
  -- still carry the old 发文机关 name.
  previous_names     jsonb   NOT NULL,
  registered_at      timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);
CREATE INDEX directory_units_parent ON directory_units (parent_unit_id, unit_id);

CREATE TABLE directory_users (
  user_id            text PRIMARY KEY,
  unit_id            text    NOT NULL,
  name               text    NOT NULL,
  -- In the canonical order of the Role enum.
  roles              text[]  NOT NULL,
  active             boolean NOT NULL,
  deactivation_reason text,
  -- Credentials not revoked (0 once the user is deactivated: deactivation retires them all).
  credential_count   int     NOT NULL,
  registered_at      timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);
CREATE INDEX directory_users_unit ON directory_users (unit_id, user_id);

CREATE TABLE directory_credentials (
  user_id              text    NOT NULL,
  credential_id        text    NOT NULL,
  unit_id              text    NOT NULL,
  token_hash           text    NOT NULL,
  token_hash_algorithm text    NOT NULL,
  label                text,
  expires_at           timestamptz,
  revoked              boolean NOT NULL,
  revocation_reason    text,
  issued_at            timestamptz NOT NULL,
  revoked_at           timestamptz,
  PRIMARY KEY (user_id, credential_id)
);
-- Every authenticated API request looks its bearer token up here by digest.
CREATE INDEX directory_credentials_token ON directory_credentials (token_hash);

CREATE TABLE directory_seals (
  seal_id          text PRIMARY KEY,
  unit_id          text    NOT NULL,
  name             text    NOT NULL,
  seal_type        text    NOT NULL,
  status           text    NOT NULL CHECK (status IN ('active', 'revoked', 'replaced', 'destroyed')),
  status_reason    text,
  valid_from       timestamptz NOT NULL,
  valid_to         timestamptz NOT NULL,
  keeper_user_ids  text[]  NOT NULL,
  replaced_by      text,
  replaces         text,
  public_key       text    NOT NULL,
  -- server: the key is in the ledger's vault under the keeper's passphrase; client: on a USB key.
  key_custody      text    NOT NULL CHECK (key_custody IN ('server', 'client')),
  -- The seal picture (SVG) from its GB/T 38540 seal record, for display.
  picture_svg      text    NOT NULL,
  issued_by        text    NOT NULL,
  issued_at        timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX directory_seals_unit ON directory_seals (unit_id, seal_id);

-- 用印登记: one row per DocumentSealed, with what was unusual about that use.
CREATE TABLE directory_seal_usage (
  -- Assigned in feed order by the projection; breaks ties between equal sealing times.
  usage_seq        bigint PRIMARY KEY,
  event_id         uuid    NOT NULL,
  global_position  bigint  NOT NULL,
  seal_id          text    NOT NULL,
  unit_id          text    NOT NULL,
  keeper_user_id   text    NOT NULL,
  document_id      text    NOT NULL,
  doc_number       text    NOT NULL,
  sealed_at        timestamptz NOT NULL,
  key_custody      text    NOT NULL,
  -- OFF_HOURS, WEEKEND, NOT_KEEPER, NEAR_EXPIRY, INVALID_SEAL (see seal-anomalies.ts).
  anomalies        text[]  NOT NULL,
  anomalous        boolean NOT NULL
);
CREATE INDEX directory_seal_usage_time ON directory_seal_usage (sealed_at, usage_seq);
CREATE INDEX directory_seal_usage_seal ON directory_seal_usage (seal_id, sealed_at, usage_seq);
CREATE INDEX directory_seal_usage_unit ON directory_seal_usage (unit_id, sealed_at, usage_seq);
CREATE INDEX directory_seal_usage_anomalous ON directory_seal_usage (sealed_at, usage_seq) WHERE anomalous;
