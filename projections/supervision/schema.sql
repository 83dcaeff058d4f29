-- 电子监察 read model: every delivery with its two clocks (签收, 办理), the warnings raised on
-- them with their timelines, back-filled records, sign-ins, mobile numbers and the daily checks.
-- Built from the delivery-, supervision-, signin-, contact- and dailycheck- streams.

CREATE TABLE supervision_deliveries (
  document_id      text NOT NULL,
  unit_id          text NOT NULL,
  issuer_unit_id   text NOT NULL,
  title            text NOT NULL,
  doc_number       text NOT NULL,
  doc_type         text NOT NULL,
  urgency          text NOT NULL,
  kind             text NOT NULL,
  sent_event_id    uuid NOT NULL,
  delivered_at     timestamptz NOT NULL,
  received_at      timestamptz,
  received_by      text,
  returned_at      timestamptz,
  withdrawn_at     timestamptz,
  assigned_at      timestamptz,
  assignee_user_id text,
  completed_at     timestamptz,
  filed_at         timestamptz,
  -- The delivery stream's revision last seen: the supervision jobs review a delivery that moved on.
  delivery_revision int NOT NULL,
  sign_due_at      timestamptz,
  sign_red_at      timestamptz,
  sign_paused      boolean NOT NULL,
  handle_due_at    timestamptz,
  handle_red_at    timestamptz,
  handle_paused    boolean NOT NULL,
  provisional      boolean NOT NULL,
  policy_version   text,
  calendar_version text,
  PRIMARY KEY (document_id, unit_id)
);
CREATE INDEX supervision_deliveries_unit ON supervision_deliveries (unit_id, delivered_at);
CREATE INDEX supervision_deliveries_issuer ON supervision_deliveries (issuer_unit_id, delivered_at);
CREATE INDEX supervision_deliveries_delivered ON supervision_deliveries (delivered_at);

CREATE TABLE supervision_warnings (
  warning_id        uuid PRIMARY KEY,
  global_position   bigint NOT NULL,
  document_id       text NOT NULL,
  unit_id           text NOT NULL,
  clock             text NOT NULL,
  level             text NOT NULL,
  escalation        text NOT NULL,
  due_at            timestamptz NOT NULL,
  fell_due_at       timestamptz NOT NULL,
  raised_at         timestamptz NOT NULL,
  issuer_unit_id    text NOT NULL,
  title             text NOT NULL,
  doc_number        text NOT NULL,
  doc_type          text NOT NULL,
  urgency           text NOT NULL,
  responsible_user_ids text[] NOT NULL,
  policy_version    text NOT NULL,
  calendar_version  text NOT NULL,
  cleared_at        timestamptz,
  cleared_reason    text
);
CREATE INDEX supervision_warnings_subject ON supervision_warnings (document_id, unit_id, clock);
CREATE INDEX supervision_warnings_time ON supervision_warnings (fell_due_at, warning_id);
CREATE INDEX supervision_warnings_unit ON supervision_warnings (unit_id, fell_due_at);

-- The supervision events of each delivery, for the warnings' timelines.
CREATE TABLE supervision_timeline (
  event_id        uuid PRIMARY KEY,
  global_position bigint NOT NULL,
  document_id     text NOT NULL,
  unit_id         text NOT NULL,
  clock           text NOT NULL,
  type            text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  actor_user_id   text NOT NULL,
  detail          jsonb NOT NULL
);
CREATE INDEX supervision_timeline_subject ON supervision_timeline (document_id, unit_id, global_position);

-- 补录: a recipient's act recorded long after the time it claims (audit's threshold).
CREATE TABLE supervision_late_records (
  event_id     uuid PRIMARY KEY,
  unit_id      text NOT NULL,
  document_id  text NOT NULL,
  type         text NOT NULL,
  actor_user_id text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX supervision_late_records_unit ON supervision_late_records (unit_id, occurred_at);

CREATE TABLE supervision_sign_ins (
  user_id      text NOT NULL,
  day          date NOT NULL,
  unit_id      text NOT NULL,
  signed_in_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, day)
);
CREATE INDEX supervision_sign_ins_unit ON supervision_sign_ins (unit_id, day);

CREATE TABLE supervision_contacts (
  user_id    text PRIMARY KEY,
  unit_id    text NOT NULL,
  mobile     text,
  set_by     text NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE supervision_daily_checks (
  day        date PRIMARY KEY,
  result     jsonb NOT NULL,
  checked_at timestamptz NOT NULL
);
