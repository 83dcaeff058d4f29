-- 电子监察: the supervision jobs' own bookkeeping (not a read model; the events are in the
-- supervision-<documentId>.<unitId> streams). One row per delivery the jobs have reviewed: the
-- delivery stream's revision they saw and the next moment a warning may fall due, so a scan picks
-- only deliveries that changed or whose moment has come. Losing a row costs one more review.
CREATE TABLE supervision_reviews (
  document_id        text NOT NULL,
  unit_id            text NOT NULL,
  delivery_revision  int  NOT NULL,
  next_check_at      timestamptz,
  reviewed_at        timestamptz NOT NULL,
  PRIMARY KEY (document_id, unit_id)
);
CREATE INDEX supervision_reviews_due ON supervision_reviews (next_check_at) WHERE next_check_at IS NOT NULL;

-- Reminders (短信/webhook): one row per message, one per attempt to deliver it, every outcome kept.
CREATE TABLE supervision_notifications (
  notification_id  text PRIMARY KEY,
  kind             text NOT NULL,
  user_id          text NOT NULL,
  unit_id          text NOT NULL,
  mobile           text,
  text             text NOT NULL,
  subject          jsonb NOT NULL,
  created_at       timestamptz NOT NULL,
  delivered_at     timestamptz,
  failed_at        timestamptz
);
CREATE TABLE supervision_notification_attempts (
  notification_id  text NOT NULL REFERENCES supervision_notifications,
  attempt          int  NOT NULL,
  channel          text NOT NULL,
  at               timestamptz NOT NULL,
  ok               boolean NOT NULL,
  detail           text,
  PRIMARY KEY (notification_id, attempt)
);
